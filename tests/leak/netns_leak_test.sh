#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The leak matrix in netns mode: can anything a protected application sends be seen outside the
# tunnel? Debian's openvpn as client (user nobody, chroot, persist-tun, the plugin from the build
# tree) with a v4-only tunnel; the applications run the way the README says, `ip netns exec NS`
# from the host, as an ordinary uid. One topology and one openvpn for all classes, each class
# reported on its own line (leak_lib.sh says how counting works and what the controls prove):
#
#   1  Port Fail: UDP, TCP and ICMP to the VPN server's underlay address.
#   2  IPv6 with a v4-only tunnel: UDP, TCP and ICMPv6 to the server, the LAN and the rogue
#      gateway over IPv6.
#   3  LAN DNS: the host's resolver is on the LAN; the application resolves a name.
#   5  Route injection: a route for the tunnel's DNS server through the rogue gateway in
#      openvpn's namespace (what a rogue DHCP server's classless static route does).
#   4  DNS through an injected server: while the application resolves names, the host replaces
#      its resolv.conf by rename with one naming an attacker's server. The bind mount that
#      `ip netns exec` put over the host's file silently stops covering it. With dns=yes the
#      application's queries then go (through the tunnel) to the attacker: the expected leak,
#      reproduced as the control. With dns=pin, none reach the attacker.
#   8  Restart window: traffic sent continuously through SIGUSR1 and a ping-restart reconnect.
#   6  Tunnel down: openvpn stopped with SIGTERM while the application keeps sending.
#   7  openvpn killed with SIGKILL while the application keeps sending (dns=pin run).
TEST_NAME=leak-netns
source "$(dirname "$0")/leak_lib.sh"

# The pin's own drop counter inside the protected namespace.
pin_dropped() { in_ns "$NS_VPN" nft list counter inet vpnns-dns dropped | awk '/packets/{print $2}'; }

# Lets packets in flight land before a "nothing counted" check.
settle() { sleep 0.2; }

# --- classes

class_port_fail() {
  local before after tb ta out
  before=$(counter "$NS_SRV" outside)
  in_ns "$NS_CLI" setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups \
    bash -c "$(probe_script "$SERVER")" >/dev/null 2>&1 || true
  after=$(counter "$NS_SRV" outside)
  expect_seen "UDP, TCP and ICMP from the host to the server's underlay address" "$before" "$after" 3
  local control=$((after - before))

  before=$(outside_all)
  tb=$(tun_tx)
  out=$(in_ns "$NS_VPN" setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups \
    bash -c "$(probe_script "$SERVER")" 2>&1) || true
  settle
  after=$(outside_all)
  ta=$(tun_tx)
  expect_none "outside counters (server, LAN, rogue gateway)" "$before" "$after"
  # openvpn drops what comes out of the tunnel for its own server's address ("Recursive routing
  # detected"), so the proof that the application sent is the tunnel device's counter.
  [ $((ta - tb)) -ge 3 ] || fail "the application's probes did not enter the tunnel ($tb -> $ta): $out"
  pass "UDP, TCP, ICMP to $SERVER: the host's probes counted $control times at the server's underlay; the application's: $((ta - tb)) into the tunnel, 0 outside"
}

class_ipv6() {
  local v6=(2001:db8:1::1 2001:db8:10::1 2001:db8:66::1) before after out
  [ -z "$(ip -n "$NS_VPN" -6 addr show dev tun0 scope global)" ] || fail "the tunnel has an IPv6 address"
  [ -z "$(ip -n "$NS_VPN" -6 route show | grep -v -e '^fe80::/64' -e '^multicast' || true)" ] ||
    fail "IPv6 routes in the namespace: $(ip -n "$NS_VPN" -6 route show)"

  before=$(outside_all)
  in_ns "$NS_CLI" setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups \
    bash -c "$(probe_script "${v6[@]}")" >/dev/null 2>&1 || true
  after=$(outside_all)
  local b a i=0 where=(server LAN rogue)
  read -r -a b <<<"$before"
  read -r -a a <<<"$after"
  for i in 0 1 2; do expect_seen "IPv6 probes from the host at the ${where[$i]}" "${b[$i]}" "${a[$i]}" 3; done

  before=$(outside_all)
  out=$(in_ns "$NS_VPN" setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups \
    bash -c "$(probe_script "${v6[@]}")" 2>&1) || true
  settle
  after=$(outside_all)
  expect_none "outside counters (server, LAN, rogue gateway)" "$before" "$after"
  [ "$(grep -c 'Network is unreachable' <<<"$out")" -ge 9 ] ||
    fail "the application's IPv6 sends did not all fail locally: $out"
  pass "UDP, TCP, ICMPv6 to ${v6[*]}: control counted on all three paths; from the namespace every send failed with 'Network is unreachable', 0 outside"
}

class_lan_dns() {
  local before after pb pa
  before=$(counter "$NS_LAN" lan_dns)
  as_host_user bash -c "$LOOKUP"
  after=$(counter "$NS_LAN" lan_dns)
  expect_seen "the host's lookup at the LAN resolver" "$before" "$after" 1

  before="$(counter "$NS_LAN" lan_dns) $(outside_all)"
  pb=$(counter "$NS_SRV" pushed)
  as_app bash -c "$LOOKUP"
  settle
  after="$(counter "$NS_LAN" lan_dns) $(outside_all)"
  pa=$(counter "$NS_SRV" pushed)
  expect_none "LAN resolver and outside counters" "$before" "$after"
  [ "$pa" -gt "$pb" ] || fail "the application's lookup did not reach the pushed DNS server through the tunnel"
  pass "host resolver $LAN_DNS: the host's lookup reached it; the application's went to $PUSHED_DNS through the tunnel, 0 at the LAN"
}

class_route_injection() {
  local before after pb pa
  ip -n "$NS_CLI" route add "$PUSHED_DNS/32" via "$ROGUE_GW" dev rogue0
  before=$(counter "$NS_ROGUE" rogue_dns)
  in_ns "$NS_CLI" setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups \
    bash -c "echo q >/dev/udp/$PUSHED_DNS/53" || true
  after=$(counter "$NS_ROGUE" rogue_dns)
  expect_seen "a query from the host to $PUSHED_DNS at the rogue gateway" "$before" "$after" 1

  before="$(counter "$NS_ROGUE" rogue_dns) $(outside_all)"
  pb=$(counter "$NS_SRV" pushed)
  as_app bash -c "$LOOKUP; echo q >/dev/udp/$PUSHED_DNS/53"
  settle
  after="$(counter "$NS_ROGUE" rogue_dns) $(outside_all)"
  pa=$(counter "$NS_SRV" pushed)
  ip -n "$NS_CLI" route del "$PUSHED_DNS/32" via "$ROGUE_GW" dev rogue0
  expect_none "rogue gateway and outside counters" "$before" "$after"
  [ "$((pa - pb))" -ge 2 ] || fail "the application's queries did not reach $PUSHED_DNS through the tunnel ($pb -> $pa)"
  pass "route $PUSHED_DNS via the rogue gateway in openvpn's namespace: the host's query went there; the application's $((pa - pb)) went through the tunnel, 0 outside"
}

# dns_injection MODE: the application resolves names in a loop; the host's resolv.conf is
# replaced by rename with one naming the attacker's server.
dns_injection() {
  local mode=$1 pb ab before after app
  pb=$(counter "$NS_SRV" pushed)
  start_app bash -c "while :; do $LOOKUP; sleep 0.1; done"
  app=$APP_PID
  pushed_rose() { [ "$(counter "$NS_SRV" pushed)" -gt "$pb" ]; }
  wait_for 5 pushed_rose || fail "the application is not resolving through the tunnel"
  [ "$(nsenter --mount="/proc/$app/ns/mnt" cat /etc/resolv.conf | grep nameserver)" = "nameserver $PUSHED_DNS" ] ||
    fail "the application does not see the namespace's resolv.conf"

  ab=$(counter "$NS_SRV" attacker)
  before=$(outside_all)
  local pin_before=0
  [ "$mode" = pin ] && pin_before=$(pin_dropped)
  host_resolver "$ATTACKER_DNS"
  app_sees_attacker() { nsenter --mount="/proc/$app/ns/mnt" grep -q "nameserver $ATTACKER_DNS" /etc/resolv.conf; }
  wait_for 2 app_sees_attacker ||
    fail "the rename did not reach the application (its resolv.conf: $(nsenter --mount="/proc/$app/ns/mnt" cat /etc/resolv.conf))"
  if [ "$mode" = yes ]; then
    attacker_rose() { [ "$(counter "$NS_SRV" attacker)" -gt "$ab" ]; }
    wait_for 5 attacker_rose || fail "control: no query reached the attacker's server without dns=pin; the reproduction is broken"
    pass "control (dns=yes): after the host renamed its resolv.conf, the bind mount no longer covered it and $(($(counter "$NS_SRV" attacker) - ab)) queries reached the attacker's server $ATTACKER_DNS (the leak dns=pin closes)"
  else
    pin_counted() { [ "$(pin_dropped)" -ge $((pin_before + 3)) ]; }
    wait_for 5 pin_counted || fail "the pin did not count the application's queries to $ATTACKER_DNS"
    settle
    after=$(outside_all)
    expect_none "queries at the attacker's server" "$ab" "$(counter "$NS_SRV" attacker)"
    expect_none "outside counters (server, LAN, rogue gateway)" "$before" "$after"
    pass "dns=pin: the application read the attacker's resolv.conf and tried $(($(pin_dropped) - pin_before)) times; the pin dropped them all, 0 reached $ATTACKER_DNS, 0 outside"
  fi
  kill -TERM "$app" 2>/dev/null || true
  host_resolver "$LAN_DNS"
}
class_dns_injection_control() { dns_injection yes; }
class_dns_injection_pin() { dns_injection pin; }

# control_sender: the continuous sender from the host for a moment; every path must count it.
control_sender() {
  local before after b a i where=(server LAN "rogue gateway")
  before=$(outside_all)
  start_sender control "$NS_CLI" "$SERVER" "$LAN_DNS" "$ROGUE_GW"
  sent_some() { [ "$(sender_stats control | cut -d' ' -f1)" -ge 12 ]; }
  wait_for 5 sent_some || fail "the control sender did not send"
  stop_sender "$SENDER_PID"
  after=$(outside_all)
  read -r -a b <<<"$before"
  read -r -a a <<<"$after"
  for i in 0 1 2; do expect_seen "the host's continuous traffic at the ${where[$i]}" "${b[$i]}" "${a[$i]}" 4; done
}

class_restart_window() {
  local before after tb ta n restarts pinger
  control_sender
  before=$(outside_all)
  tb=$(counter "$NS_SRV" tunnel)
  start_sender app "$NS_VPN" "$SERVER" "$LAN_DNS" "$ROGUE_GW" 2001:db8:1::1
  start_in_ns "$NS_VPN" ping -q -n -i 0.05 "$LAN_DNS" >/dev/null 2>&1
  pinger=$BG_PID

  n=$(grep -c 'Initialization Sequence Completed' "$WORK/client.log")
  kill -USR1 "$CLIENT_PID"
  wait_connected $((n + 1))
  # ping-restart: the server's packets stop reaching the client until it gives up and restarts.
  restarts=$(grep -c 'Inactivity timeout (--ping-restart)' "$WORK/client.log" || true)
  in_ns "$NS_SRV" nft -f - <<EOF
table inet blackhole {
  chain out {
    type filter hook output priority filter; policy accept;
    ip daddr 198.51.100.2 udp sport 1194 drop
  }
}
EOF
  restarted() { [ "$(grep -c 'Inactivity timeout (--ping-restart)' "$WORK/client.log" || true)" -gt "$restarts" ]; }
  wait_for 10 restarted || fail "openvpn did not ping-restart"
  in_ns "$NS_SRV" nft delete table inet blackhole
  wait_connected $((n + 2))
  sleep 0.5
  stop_sender "$SENDER_PID"
  kill -TERM "$pinger" 2>/dev/null || true
  settle
  after=$(outside_all)
  ta=$(counter "$NS_SRV" tunnel)
  expect_none "outside counters (server, LAN, rogue gateway)" "$before" "$after"
  [ "$ta" -gt "$tb" ] || fail "none of the application's traffic went through the tunnel"
  local stats
  stats=$(sender_stats app)
  pass "UDP every 50 ms (sent/failed $stats) and ICMP every 50 ms through SIGUSR1 and a ping-restart reconnect: $((ta - tb)) out of the tunnel at the server, 0 outside"
}

# tunnel_down SIGNAL: openvpn gets SIGNAL while the application sends.
tunnel_down() {
  local sig=$1 before after helper e0 stats
  control_sender
  before=$(outside_all)
  start_sender app "$NS_VPN" "$SERVER" "$LAN_DNS" "$ROGUE_GW"
  sent_some() { [ "$(sender_stats app | cut -d' ' -f1)" -ge 12 ]; }
  wait_for 5 sent_some || fail "the application could not send through the tunnel"
  helper=$(helper_pid "$CLIENT_PID")
  [ -n "$helper" ] || fail "no helper"
  kill "-$sig" "$CLIENT_PID"
  wait_gone "$CLIENT_PID" 10 || fail "openvpn did not exit on SIG$sig"
  wait_gone "$helper" 1 || fail "the helper outlived openvpn"
  e0=$(sender_stats app | cut -d' ' -f2)
  failing() { [ "$(sender_stats app | cut -d' ' -f2)" -ge $((e0 + 20)) ]; }
  wait_for 5 failing || fail "the application's sends did not fail after SIG$sig"
  stop_sender "$SENDER_PID"
  settle
  after=$(outside_all)
  expect_none "outside counters (server, LAN, rogue gateway)" "$before" "$after"
  [ "$(links_in "$NS_VPN")" = "lo " ] || fail "$NS_VPN holds: $(links_in "$NS_VPN")"
  [ -z "$(routes_in "$NS_VPN")" ] || fail "routes left: $(routes_in "$NS_VPN")"
  local tables
  tables=$(in_ns "$NS_VPN" nft list tables)
  [ -z "$tables" ] || fail "tables left in $NS_VPN: $tables"
  stats=$(sender_stats app)
  pass "SIG$sig while the application sent (sent/failed $stats): the namespace kept lo only, no route, no table; 0 outside"
}
class_sigterm() { tunnel_down TERM; }
class_sigkill() { tunnel_down KILL; }

# --- the run

setup_leak_topology
make_pki
server_conf_v4only
# A ping-restart that takes three seconds: the server pings every second, the client keeps its
# own timers (the server's pushed ones ignored) and restarts after three silent seconds — never
# by accident, with two pings' margin.
sed -i 's/^keepalive 2 10$/keepalive 1 10/' "$WORK/server.conf"
grep -qx "keepalive 1 10" "$WORK/server.conf" || fail "cannot set the server's keepalive"
CLIENT_TIMERS=('pull-filter ignore "ping"' "ping 1" "ping-restart 3")
client_conf "netns=$NS_VPN helper=$HELPER" "${CLIENT_TIMERS[@]}"
start_server
start_client
wait_connected 1
start_host_mountns

run_class 1 "Port Fail (netns mode)" class_port_fail
run_class 2 "IPv6 with a v4-only tunnel" class_ipv6
run_class 3 "LAN DNS" class_lan_dns
run_class 5 "route injection for the tunnel's DNS server" class_route_injection
run_class 4 "DNS through an injected server, control without dns=pin (expected leak)" class_dns_injection_control
run_class 8 "restart window (SIGUSR1, ping-restart)" class_restart_window
run_class 6 "tunnel down (SIGTERM)" class_sigterm

# The same client with dns=pin (class 6 stopped the first one; if it failed, stop it here).
if is_running "$CLIENT_PID"; then
  kill -TERM "$CLIENT_PID"
  wait_gone "$CLIENT_PID" 10 || fail "openvpn did not exit"
fi
client_conf "netns=$NS_VPN helper=$HELPER dns=pin" "${CLIENT_TIMERS[@]}"
connects=$(grep -c 'Initialization Sequence Completed' "$WORK/client.log")
start_client
wait_connected $((connects + 1))
grep -q "DNS pinned to $PUSHED_DNS" "$WORK/client.log" || fail "no DNS pin in openvpn's log"

run_class 4 "DNS through an injected server, dns=pin" class_dns_injection_pin
run_class 7 "openvpn killed (SIGKILL)" class_sigkill
report
