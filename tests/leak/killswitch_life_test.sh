#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kill switch's lifetime classes: does it hold when the tunnel goes away, and does it let go
# only when it should? The world of killswitch_leak_test.sh (killswitch_lib.sh: seal mode in a
# namespace that plays the root namespace, user nobody, chroot, `remote` a host name that only the
# LAN's resolver knows, the test's own counters on every way out). In every class an application
# (uid $APP_UID) sends UDP every 50 ms to the server's underlay, the LAN, the rogue gateway, the
# on-link public address, the tunnel's DNS server over the injected route, two IPv6 addresses
# and the server's tunnel address:
#
#   control  before any openvpn runs: every way out counts the sender (it would leak).
#   9  restart window: SIGUSR1, then a ping-restart (the server's packets blackholed), with the
#      sender running: 0 packets out; the tunnel carries the sender after the reconnects; at
#      SIGUSR1 openvpn looks `remote` up again, as nobody inside the chroot, through the kill
#      switch, and finds the server's second address, which it reaches through the kill switch's
#      remote ports (a ping-restart reuses the address it has: openvpn's soft restart); the
#      IPCHANGE to that address is refused (not one the name had at start) and the server set
#      stays.
#   6  SIGTERM with killswitch=yes: the table is lifted and the log says so (and the sender's
#      packets go out again: the control of the classes before); with killswitch=lockdown: held,
#      0 packets out, said so, and the next start of the instance replaces it.
#   7  openvpn SIGKILLed: held, 0 packets out, `vpnnsctl status` says held, until `vpnnsctl
#      reset`, after which the sender's packets go out.
#   8  the helper SIGKILLed: held while openvpn runs on and after openvpn stops; reset lifts it.
#   6  again, with killswitch=yes and openvpn leaving by ping-exit (the server went silent): a stop
#      nobody asked for is no clean exit, so the kill switch is held.
TEST_NAME=leak-killswitch-life
source "$(dirname "$0")/killswitch_lib.sh"

DESTS=("$SERVER" "$SERVER2" "$LAN_DNS" "$ROGUE_GW" "$LOCALNET_DST" "$PUSHED_DNS" 2001:db8:1::1 2001:db8:10::1 192.0.2.1)

# sending: starts the application's sender (leak_lib.sh) and waits until it has sent a few.
sending() {
  start_sender app "$NS_CLI" "${DESTS[@]}"
  local s0
  s0=$(sender_stats app)
  tried() { local s; s=$(sender_stats app); [ $((${s% *} + ${s#* })) -ge $((${s0% *} + ${s0#* } + 16)) ]; }
  wait_for 5 tried || fail "the sender does not send"
}

# held_window WHAT: 0.4 s of the sender with the kill switch held: nothing out, sends refused.
held_window() {
  local e0 e1
  e0=$(sender_stats app | cut -d' ' -f2)
  window sleep 0.4
  e1=$(sender_stats app | cut -d' ' -f2)
  expect_no_leak "$1" "$DELTA"
  [ $((e1 - e0)) -ge 20 ] || fail "the sender's sends were not refused while $1 ($e0 -> $e1 failed)"
  HELD_REFUSED=$((e1 - e0))
}

# lifted_window WHAT: once the kill switch is gone, the sender's packets are counted outside.
lifted_window() {
  window sleep 0.3
  local w
  for w in srv lan rogue; do expect_moved "the sender after $1" "$DELTA" "$w.stray" 2; done
}

# status_says WORD: vpnnsctl status shows the instance's kill switch as WORD.
status_says() {
  local s
  s=$(in_ns "$NS_CLI" "$CTL" status "$INST" 2>&1 || true)
  grep -q "kill switch: $1" <<<"$s" || fail "vpnnsctl status does not say 'kill switch: $1': $s"
}

reset_instance() {
  local out
  out=$(in_ns "$NS_CLI" "$CTL" reset "$INST" 2>&1) || fail "vpnnsctl reset $INST failed: $out"
  grep -q "removed: .*table inet $KS_TABLE .*kill switch lifted" <<<"$out" || fail "vpnnsctl reset did not say it lifted the kill switch: $out"
  ks_table_absent || fail "the kill switch table is still there after reset"
}

class_control() {
  sending
  lifted_window "start, no openvpn"
  stop_sender "$SENDER_PID"
  pass "control: without openvpn the sender's packets are counted on every way out: $(leaks "$DELTA")"
}

class_restart_window() {
  local n m q q0 q1 l0 restarts before t
  [ "$(ps -o user= -p "$CLIENT_PID")" = nobody ] || fail "openvpn does not run as nobody"
  sending
  n=$(grep -c 'Initialization Sequence Completed' "$WORK/client.log")
  q0=$(dns_queries "$REMOTE_NAME")
  # From now on the name points to the server's second address: the reconnect goes to an address
  # the kill switch has not seen yet (openvpn's port is open to openvpn alone until IPCHANGE).
  lan_dns_answers "$SERVER2"
  before=$(snap)
  m=$(wc -l <"$WORK/client.log")
  kill -USR1 "$CLIENT_PID"
  wait_connected $((n + 1))
  q1=$(($(dns_queries "$REMOTE_NAME") - q0))
  [ "$q1" -ge 1 ] || fail "openvpn did not look $REMOTE_NAME up again at the SIGUSR1 reconnect"
  tail -n +"$((m + 1))" "$WORK/client.log" | grep "Peer Connection Initiated with \[AF_INET\]$SERVER2:1194" >/dev/null ||
    fail "openvpn did not reconnect to $SERVER2: $(tail -n +"$((m + 1))" "$WORK/client.log" | grep -i 'peer connection' || true)"
  # The seal and the kill switch follow IPCHANGE only to an address of openvpn's configured
  # remotes as the helper resolved them when openvpn started (issue 13: README, "The seal is aimed
  # only at openvpn's servers"): the new address is refused, said in the log, and both stay where
  # they were; openvpn's own sockets still reach the remote's port (killswitch-ports), so the
  # tunnel comes up and nothing else gets out.
  tail -n +"$((m + 1))" "$WORK/client.log" |
    grep -F "IPCHANGE refused (permission denied): the VPN server address $SERVER2 is not one that openvpn's configuration connects to" >/dev/null ||
    fail "no refusal of the IPCHANGE to $SERVER2 in openvpn's log"
  in_ns "$NS_CLI" nft list set inet "$KS_TABLE" server4 | grep "elements = { $SERVER }" >/dev/null ||
    fail "the kill switch's server set moved: $(in_ns "$NS_CLI" nft list set inet "$KS_TABLE" server4)"
  restarts=$(grep -c 'Inactivity timeout (--ping-restart)' "$WORK/client.log" || true)
  blackhole on
  restarted() { [ "$(grep -c 'Inactivity timeout (--ping-restart)' "$WORK/client.log" || true)" -gt "$restarts" ]; }
  wait_for 10 restarted || fail "openvpn did not ping-restart"
  blackhole off
  wait_connected $((n + 2))
  sleep 0.3
  settle
  DELTA=$(delta "$before" "$(snap)")
  stop_sender "$SENDER_PID"
  expect_no_leak "through SIGUSR1 and a ping-restart" "$DELTA"
  t=$(moved "$DELTA" srv.tunnel)
  [ "$t" -ge 1 ] || fail "none of the sender's traffic went through the tunnel"
  q=$(($(dns_queries "$REMOTE_NAME") - q0))
  l0=$(moved "$DELTA" lan.remote_lookup)
  [ "$l0" -ge 1 ] || fail "the LAN counted $l0 lookups of $REMOTE_NAME from the client"
  pass "sender (sent/failed $(sender_stats app)) through SIGUSR1 and a ping-restart: 0 outside, $t through the tunnel; at SIGUSR1 openvpn (nobody, chroot) looked $REMOTE_NAME up again at the LAN resolver ($q1 queries; $q in all: a ping-restart keeps the address), reconnected to its new address $SERVER2 through the kill switch (an address it did not resolve to at start: the IPCHANGE refused, the server set kept)"
}

class_sigterm_yes() {
  sending
  ks_stop TERM
  log_since | grep "kill switch lifted" >/dev/null || fail "openvpn's log does not say the kill switch was lifted: $(log_since | tail -5)"
  ks_table_absent || fail "killswitch=yes: the table is still there after SIGTERM"
  lifted_window "SIGTERM with killswitch=yes"
  stop_sender "$SENDER_PID"
  pass "killswitch=yes, SIGTERM: lifted ($(log_since | grep -m1 -o 'kill switch lifted.*')); the sender's packets went out again: $(leaks "$DELTA")"
}

class_sigterm_lockdown() {
  sending
  ks_stop TERM
  log_since | grep "kill switch held" >/dev/null || fail "openvpn's log does not say the kill switch is held: $(log_since | tail -5)"
  ks_table_present || fail "killswitch=lockdown: the table is gone after SIGTERM"
  held_window "held after SIGTERM (lockdown)"
  status_says held
  stop_sender "$SENDER_PID"
  pass "killswitch=lockdown, SIGTERM: held ($(log_since | grep -m1 -o 'kill switch held.*')), $HELD_REFUSED sends refused, 0 outside; status says held"
}

class_sigkill_openvpn() {
  sending
  ks_stop KILL
  ks_table_present || fail "the table is gone after openvpn's SIGKILL"
  held_window "openvpn SIGKILLed"
  status_says held
  reset_instance
  lifted_window "vpnnsctl reset"
  stop_sender "$SENDER_PID"
  pass "openvpn SIGKILLed: held, $HELD_REFUSED sends refused, 0 outside, status says held; vpnnsctl reset lifted it and the sender's packets went out"
}

class_sigkill_helper() {
  local helper
  sending
  helper=$(helper_pid "$CLIENT_PID")
  [ -n "$helper" ] || fail "no helper under openvpn $CLIENT_PID"
  kill -KILL "$helper"
  wait_gone "$helper" 3 || fail "the helper survived SIGKILL"
  ks_table_present || fail "the table is gone after the helper's SIGKILL"
  held_window "the helper SIGKILLed (openvpn running)"
  local first=$HELD_REFUSED
  ks_stop TERM
  ks_table_present || fail "the table is gone after openvpn stopped without its helper"
  held_window "the helper SIGKILLed and openvpn stopped"
  reset_instance
  lifted_window "vpnnsctl reset"
  stop_sender "$SENDER_PID"
  pass "helper SIGKILLed: held while openvpn ran ($first sends refused) and after it stopped ($HELD_REFUSED), 0 outside; reset lifted it"
}

# blackhole on|off: the server's packets to the client are dropped (ping-restart, ping-exit).
blackhole() {
  if [ "$1" = on ]; then
    in_ns "$NS_SRV" nft -f - <<EOF
table inet blackhole {
  chain out {
    type filter hook output priority filter; policy accept;
    ip daddr 198.51.100.2 udp sport 1194 drop
  }
}
EOF
  else
    in_ns "$NS_SRV" nft delete table inet blackhole
  fi
}

# A stop nobody asked for (ping-exit: the server went silent) is not a clean exit: held.
class_ping_exit() {
  sending
  blackhole on
  wait_gone "$CLIENT_PID" 10 || fail "openvpn did not exit on ping-exit"
  blackhole off
  forget "$CLIENT_PID"
  log_since | grep "kill switch held" >/dev/null ||
    fail "openvpn's log does not say the kill switch is held after ping-exit: $(log_since | grep -i 'kill switch\|exit' || true)"
  ks_table_present || fail "killswitch=yes: the table is gone after ping-exit"
  held_window "held after ping-exit"
  reset_instance
  stop_sender "$SENDER_PID"
  pass "killswitch=yes, openvpn left by ping-exit: held ($(log_since | grep -o 'kill switch held.*' | sed -n 1p)), $HELD_REFUSED sends refused, 0 outside; reset lifted it"
}

class_replaced() {
  log_since | grep "kill switch installed in place of one held" >/dev/null ||
    fail "the log does not say the held kill switch was replaced: $(log_since | grep -i 'kill switch' || true)"
  ks_table | grep "helper pid $(helper_pid "$CLIENT_PID")" >/dev/null || fail "the table is not the new helper's: $(ks_table | head -3)"
  pass "the next start replaced the held table: $(log_since | grep -m1 -o 'kill switch installed in place.*')"
}

# --- the run

setup_killswitch_topology
ip -n "$NS_SRV" addr add "$SERVER2/24" dev veth0
make_pki
# The server on both addresses (multihome: it answers from the one it was asked on).
SERVER_ENDPOINT=$'proto udp\nmultihome'
server_conf_v4only 'push "redirect-gateway def1"'
# A ping-restart in three seconds (netns_leak_test.sh explains the timers).
sed -i 's/^keepalive 2 10$/keepalive 1 10/' "$WORK/server.conf"
grep -qx "keepalive 1 10" "$WORK/server.conf" || fail "cannot set the server's keepalive"
KS_CLIENT_LINES=('pull-filter ignore "ping"' "ping 1" "ping-restart 3")
start_server
run_class c "control: the sender without a kill switch" class_control

ks_start "killswitch=yes"
run_class 9 "restart window (SIGUSR1, ping-restart), host-name remote" class_restart_window
run_class 6 "tunnel down by SIGTERM, killswitch=yes" class_sigterm_yes
if is_running "$CLIENT_PID"; then ks_stop; fi

ks_start "killswitch=lockdown"
run_class 6 "tunnel down by SIGTERM, killswitch=lockdown" class_sigterm_lockdown
if is_running "$CLIENT_PID"; then ks_stop; fi

# The next start of the instance replaces the held table.
ks_start "killswitch=yes"
run_class 6 "the next start replaces the held kill switch" class_replaced
run_class 7 "openvpn SIGKILLed" class_sigkill_openvpn
if is_running "$CLIENT_PID"; then ks_stop KILL; fi
in_ns "$NS_CLI" "$CTL" reset "$INST" >/dev/null 2>&1 || true

ks_start "killswitch=yes"
run_class 8 "the helper SIGKILLed" class_sigkill_helper
if is_running "$CLIENT_PID"; then ks_stop KILL; fi
in_ns "$NS_CLI" "$CTL" reset "$INST" >/dev/null 2>&1 || true

KS_CLIENT_LINES=('pull-filter ignore "ping"' "ping 1" "ping-exit 2")
ks_start "killswitch=yes"
run_class 6 "tunnel down by ping-exit, killswitch=yes" class_ping_exit
report
