#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kill switch's leak matrix, the classes that one running openvpn can show (the lifetime
# classes 6-9 are killswitch_life_test.sh). Real openvpn in seal mode in a namespace that plays
# the root namespace (killswitch_lib.sh draws the world and says how counting works), user
# nobody, chroot, `remote` a host name that only the LAN's resolver knows, real packets, the
# test's own counters on every way out. Three runs of the same client, one topology:
#
#   control    the plugin without a kill switch (the seal alone): every class's probe is sent
#              and must be counted where it leaks — the proof that each probe would leak
#   yes        killswitch=yes, next to an accept-all table of another owner: the same probes,
#              zero counted outside, and the application's sends refused locally (EPERM)
#   lan        killswitch=yes allow-lan=yes: class 11
#
# Classes: 1 Port Fail (its control: root's probes, which the seal lets through, as
# seal_leak_test.sh); 2 IPv6 with a v4-only tunnel; 3 the LAN's resolver (the host's resolv.conf
# names it); 4 LocalNet (a rogue network makes the public 203.0.113.200 on-link); 5 TunnelVision
# (a route for the tunnel's DNS server via the rogue gateway); 10 traffic forwarded from a LAN;
# 11 allow-lan (a private LAN host reachable, a public address on-link not, inbound likewise).
# Also: DHCPv4 and DHCPv6 packets pass; inbound on the physical side is dropped (the product's
# decision, KILLSWITCH-NOTES/README) while inbound through the tunnel works; the tunnel carries
# the application's traffic; bad arguments stop openvpn at start with a message naming them.
TEST_NAME=leak-killswitch
source "$(dirname "$0")/killswitch_lib.sh"

# --- classes; PHASE is control, yes or lan

class_port_fail() {
  window in_ns "$NS_CLI" bash -c "$(probe_cmd "$SERVER")"
  expect_moved "UDP, TCP, ICMP from root (openvpn's uid, accepted) at the server's underlay" "$DELTA" srv.outside 3
  local control
  control=$(moved "$DELTA" srv.outside)
  window app_probe "$SERVER"
  expect_no_leak "uid $APP_UID to the server's underlay $SERVER" "$DELTA"
  refused "$OUT" 2
  pass "UDP, TCP, ICMP to $SERVER: root's counted $control times at the server's underlay; uid $APP_UID's refused locally, 0 outside"
}

class_ipv6() {
  [ -z "$(ip -n "$NS_CLI" -6 addr show dev tun0 scope global)" ] || fail "the tunnel has an IPv6 address"
  window app_probe "${OUT6[@]}"
  if [ "$PHASE" = control ]; then
    local w
    for w in srv lan rogue; do expect_moved "IPv6 probes from uid $APP_UID" "$DELTA" "$w.outside" 3; done
    pass "control: UDP, TCP, ICMPv6 to ${OUT6[*]} left by the IPv6 default route: $(leaks "$DELTA")"
  else
    expect_no_leak "IPv6 to ${OUT6[*]}" "$DELTA"
    refused "$OUT" 6
    pass "UDP, TCP, ICMPv6 to ${OUT6[*]}: refused locally, 0 outside"
  fi
}

class_lan_dns() {
  local q0
  q0=$(dns_queries "$PROBE_NAME")
  window as_host_user bash -c "$LOOKUP"
  local q=$(($(dns_queries "$PROBE_NAME") - q0))
  if [ "$PHASE" = control ]; then
    expect_moved "the application's lookup at the LAN resolver" "$DELTA" lan.lan_dns 1
    [ "$q" -ge 1 ] || fail "control: the LAN resolver logged no query for $PROBE_NAME"
    pass "control: the application's lookup of $PROBE_NAME reached the LAN resolver $LAN_DNS ($q queries in its log)"
  else
    expect_no_leak "the application's lookup" "$DELTA"
    [ "$q" -eq 0 ] || fail "LEAK: the LAN resolver logged $q queries for $PROBE_NAME"
    # Root: uid 0 is openvpn's until it drops privileges (its first socket and lookups), never
    # after (it connected seconds ago; the helper watches for the drop after ROUTE_UP).
    q0=$(dns_queries "$PROBE_NAME")
    window in_host env RES_OPTIONS="timeout:1 attempts:1" bash -c "$LOOKUP"
    expect_no_leak "root's lookup after openvpn dropped privileges" "$DELTA"
    q=$(($(dns_queries "$PROBE_NAME") - q0))
    [ "$q" -eq 0 ] || fail "LEAK: root's lookup reached the LAN resolver ($q queries in its log)"
    pass "the application's lookup of $PROBE_NAME, and root's after openvpn dropped privileges: 0 at the LAN resolver (its own log and counters), 0 outside"
  fi
}

class_localnet() {
  ip -n "$NS_CLI" route get "$LOCALNET_DST" | grep "dev rogue0" >/dev/null ||
    fail "$LOCALNET_DST is not on-link on rogue0: $(ip -n "$NS_CLI" route get "$LOCALNET_DST")"
  window app_probe "$LOCALNET_DST"
  if [ "$PHASE" = control ]; then
    expect_moved "probes to $LOCALNET_DST at the rogue network" "$DELTA" rogue.outside 3
    pass "control: $LOCALNET_DST (tunnelled by the pushed 203.0.113.0/24) made on-link by the rogue's /25: $(leaks "$DELTA")"
  else
    expect_no_leak "probes to the on-link public $LOCALNET_DST" "$DELTA"
    refused "$OUT" 2
    pass "public $LOCALNET_DST on-link through the rogue network: refused locally, 0 outside"
  fi
}

class_tunnelvision() {
  ip -n "$NS_CLI" route get "$PUSHED_DNS" | grep "via $ROGUE_GW dev rogue0" >/dev/null ||
    fail "no injected route: $(ip -n "$NS_CLI" route get "$PUSHED_DNS")"
  window app_sh "$(probe_cmd "$PUSHED_DNS"); echo q >/dev/udp/$PUSHED_DNS/53"
  if [ "$PHASE" = control ]; then
    expect_moved "a query to $PUSHED_DNS at the rogue gateway" "$DELTA" rogue.rogue_dns 1
    expect_moved "probes to $PUSHED_DNS at the rogue gateway" "$DELTA" rogue.outside 4
    pass "control: route $PUSHED_DNS/32 via the rogue gateway took the tunnel's DNS server's traffic: $(leaks "$DELTA")"
  else
    expect_no_leak "traffic to $PUSHED_DNS over the injected route" "$DELTA"
    refused "$OUT" 3
    pass "route $PUSHED_DNS/32 via the rogue gateway: refused locally, 0 at the rogue gateway, 0 outside"
  fi
}

class_forward() {
  local t0 t1 w
  window in_ns "$NS_FWD" bash -c "$(probe_cmd "${OUT4[@]}" "${OUT6[@]}")"
  if [ "$PHASE" = control ]; then
    for w in srv lan rogue; do expect_moved "forwarded probes" "$DELTA" "$w.outside" 6; done
    pass "control: the LAN host's probes to ${OUT4[*]} ${OUT6[*]} forwarded outside the tunnel: $(leaks "$DELTA")"
    return
  fi
  expect_no_leak "traffic forwarded from $FWD_HOST" "$DELTA"
  t0=$(tun_tx_cli)
  in_ns "$NS_FWD" bash -c "echo fwd >/dev/udp/192.0.2.1/9999; echo fwd >/dev/udp/$PUSHED_DNS/9999" || true
  t1=$(tun_tx_cli)
  [ $((t1 - t0)) -ge 1 ] || fail "the LAN host's traffic for 192.0.2.1 did not enter the tunnel ($t0 -> $t1)"
  pass "forwarded from $FWD_HOST to ${OUT4[*]} ${OUT6[*]}: 0 outside; for 192.0.2.1: into tun0 ($((t1 - t0)) packets)"
}

# DHCP: the client's requests out (counted at the LAN), a server's answers in (received by
# listeners on the client's ports 68 and 546).
class_dhcp() {
  local ll tag=$PHASE$RANDOM
  window in_ns "$NS_CLI" bash -c "echo dhcp | timeout 2 nc -u -n -q 0 -p 68 -s 203.0.113.2 $LAN_DNS 67;
    echo dhcp6 | timeout 2 nc -6 -u -n -q 0 -p 546 ff02::1:2%lan0 547"
  expect_moved "DHCPv4 (68 -> 67) at the LAN" "$DELTA" lan.dhcp 1
  expect_moved "DHCPv6 (546 -> 547) at the LAN" "$DELTA" lan.dhcp6 1
  expect_no_leak "DHCP only" "$DELTA"
  # (The listeners only now: the requests above needed ports 68 and 546.)
  start_in_ns "$NS_CLI" bash -c "exec nc -4 -u -l -k -n 68 >$WORK/dhcp68-$tag.out 2>&1"
  start_in_ns "$NS_CLI" bash -c "exec nc -6 -u -l -k -n 546 >$WORK/dhcp546-$tag.out 2>&1"
  bound() { [ "$(in_ns "$NS_CLI" ss -Hlun 'sport = :68 or sport = :546' | wc -l)" -ge 2 ]; }
  wait_for 2 bound || fail "the DHCP reply listeners did not start"
  ll=$(ip -n "$NS_CLI" -6 -o addr show dev lan0 scope link | awk '{split($4, a, "/"); print a[1]}')
  # From addresses the requests did not go to: conntrack cannot call them replies (a DHCP offer
  # comes from a server the client has not addressed).
  in_ns "$NS_LAN" bash -c "echo reply4 | timeout 2 nc -u -n -q 0 -s $PRIV_LAN -p 67 203.0.113.2 68;
    echo reply6 | timeout 2 nc -6 -u -n -q 0 -p 547 $ll%veth0 546" || true
  got_both() { grep -q reply4 "$WORK/dhcp68-$tag.out" && grep -q reply6 "$WORK/dhcp546-$tag.out"; }
  wait_for 2 got_both || fail "DHCP replies (67 -> 68, 547 -> 546) did not arrive: $(cat "$WORK"/dhcp*-"$tag".out)"
  # Neighbour discovery: the LAN resolves the client's IPv6 address (its NS in, the client's NA
  # out); the echo request that makes it ask is inbound and may be dropped.
  ip -n "$NS_LAN" -6 neigh flush dev veth0
  in_ns "$NS_LAN" ping -6 -n -c 1 -W 0.5 2001:db8:10::2 >/dev/null 2>&1 || true
  local nb
  nb=$(ip -n "$NS_LAN" -6 neigh show 2001:db8:10::2 dev veth0)
  grep lladdr <<<"$nb" >/dev/null || fail "the LAN could not resolve the client's 2001:db8:10::2 (NS/NA): '$nb'"
  pass "DHCPv4 to $LAN_DNS:67 and DHCPv6 to ff02::1:2:547 counted at the LAN ($(tr '\n' ' ' <<<"$DELTA")); the answers to 68 and 546 arrived; the LAN resolved the client's IPv6 address ($(awk '{print $NF}' <<<"$nb"))"
}

# inbound: a TCP listener on the client's host, connected to from the LAN and through the tunnel.
class_inbound() {
  local t
  window in_ns "$NS_LAN" bash -c "timeout 0.5 nc -z -n -w 1 203.0.113.2 $INBOUND_PORT && echo CONNECTED"
  t=$(tun_addr)
  in_ns "$NS_SRV" nc -z -n -w 2 -s 192.0.2.1 "$t" "$INBOUND_PORT" ||
    fail "a connection through the tunnel to $t:$INBOUND_PORT failed"
  if [ "$PHASE" = control ]; then
    grep -q CONNECTED <<<"$OUT" || fail "control: the LAN cannot connect to 203.0.113.2:$INBOUND_PORT: $OUT"
    expect_moved "the listener's replies at the LAN" "$DELTA" lan.inbound_reply 1
    pass "control: from the LAN and through the tunnel ($t) the listener on :$INBOUND_PORT answers"
  else
    ! grep -q CONNECTED <<<"$OUT" || fail "a connection from the LAN to 203.0.113.2:$INBOUND_PORT succeeded"
    [ "$(moved "$DELTA" lan.inbound_reply)" = 0 ] || fail "the listener answered the LAN: $DELTA"
    expect_no_leak "inbound from the LAN" "$DELTA"
    pass "inbound: from the LAN to 203.0.113.2:$INBOUND_PORT dropped (0 replies); through the tunnel to $t: connected"
  fi
}

class_tunnel() {
  window app_probe 192.0.2.1
  expect_moved "the application's probes out of the tunnel at the server" "$DELTA" srv.tunnel 2
  expect_no_leak "traffic through the tunnel" "$DELTA"
  pass "the application's UDP, TCP, ICMP to 192.0.2.1 went through tun0 ($(moved "$DELTA" srv.tunnel) at the server's tun0), 0 outside"
}

class_allow_lan() {
  local lan_pub=0 lan_priv=0 reached
  window app_probe "$PRIV_LAN" "$PRIV_LAN6"
  expect_moved "probes to the private LAN host $PRIV_LAN $PRIV_LAN6" "$DELTA" lan.outside 6
  ! grep -q 'Operation not permitted' <<<"$OUT" || fail "sends to the private LAN host were refused: $OUT"
  reached=$(moved "$DELTA" lan.outside)
  window app_probe "$LOCALNET_DST" "$LAN_DNS" 2001:db8:10::1 "$SERVER"
  expect_no_leak "public destinations with allow-lan=yes" "$DELTA"
  refused "$OUT" 8
  in_ns "$NS_LAN" nc -z -n -w 1 -s "$PRIV_LAN" 192.168.77.1 "$INBOUND_PORT" 2>/dev/null && lan_priv=1
  in_ns "$NS_LAN" timeout 0.5 nc -z -n -w 1 203.0.113.2 "$INBOUND_PORT" 2>/dev/null && lan_pub=1
  [ "$lan_priv" = 1 ] || fail "allow-lan=yes: the private LAN host cannot connect to 192.168.77.1:$INBOUND_PORT"
  [ "$lan_pub" = 0 ] || fail "allow-lan=yes: the LAN's public 203.0.113.1 connected to 203.0.113.2:$INBOUND_PORT"
  pass "allow-lan=yes: $PRIV_LAN and $PRIV_LAN6 reached ($reached at the LAN) and connect in; public $LOCALNET_DST on-link, $LAN_DNS, 2001:db8:10::1, $SERVER refused locally, 0 outside; the public LAN address cannot connect in"
}

class_status() {
  local s line
  s=$(in_ns "$NS_CLI" "$CTL" status "$INST" 2>&1 || true)
  line=$(grep -m1 "kill switch: active" <<<"$s") ||
    fail "vpnnsctl status does not show the kill switch active: $s"
  pass "vpnnsctl status: ${line## }"
}

# bad_argument ARGS PHRASE: openvpn stops at start; vpnns's message names the argument and says
# PHRASE (openvpn's own echo of the plugin line does not count); nothing installed.
bad_argument() {
  local rc=0 msg
  ks_launch "$1"
  wait_gone "$CLIENT_PID" 5 || fail "openvpn with '$1' is still running"
  wait "$CLIENT_PID" 2>/dev/null || rc=$?
  forget "$CLIENT_PID"
  [ "$rc" -ne 0 ] || fail "openvpn with '$1' exited with status 0"
  msg=$(log_since | grep -v PLUGIN_INIT | grep -F "argument '$1'" | grep -F -- "$2" | sed -n 1p) ||
    fail "no message naming '$1' and saying '$2': $(log_since | grep -v PLUGIN_INIT | grep -F -- "${1%%=*}" || true)"
  ks_table_absent || fail "a kill switch table exists after '$1'"
  [ -z "$(in_ns "$NS_CLI" nft list tables)" ] || fail "tables after '$1': $(in_ns "$NS_CLI" nft list tables)"
  pass "'$1': openvpn stopped at start (status $rc): ${msg#* us=[0-9]* }"
}
class_bad_arguments() {
  bad_argument "killswitch=maybe" "accepted values are 'no', 'yes' and 'lockdown'"
  bad_argument "allow-lan=yes" "killswitch"
}

# --- the run

setup_killswitch_topology
make_pki
server_conf_v4only 'push "redirect-gateway def1"'
start_server
start_in_ns "$NS_CLI" nc -l -k -n "$INBOUND_PORT"
run_class 0 "bad arguments" class_bad_arguments

PHASE=control
ks_start ""
ks_table_absent || fail "a kill switch table without killswitch="
run_class 2 "IPv6 with a v4-only tunnel (control, no kill switch)" class_ipv6
run_class 3 "the LAN's resolver (control)" class_lan_dns
run_class 4 "LocalNet (control)" class_localnet
run_class 5 "TunnelVision (control)" class_tunnelvision
run_class 10 "forwarded from a LAN (control)" class_forward
run_class i "inbound (control)" class_inbound
run_class d "DHCP and neighbour discovery (control)" class_dhcp
ks_stop

# Another owner's table that accepts everything, before and after the kill switch's priority.
in_ns "$NS_CLI" nft -f - <<'EOF'
table inet someone-else {
  chain out_early { type filter hook output priority -300; policy accept; accept; }
  chain out_late { type filter hook output priority 300; policy accept; accept; }
  chain fwd_early { type filter hook forward priority -300; policy accept; accept; }
  chain fwd_late { type filter hook forward priority 300; policy accept; accept; }
  chain in_early { type filter hook input priority -300; policy accept; accept; }
  chain post { type filter hook postrouting priority 300; policy accept; accept; }
}
EOF
PHASE=yes
ks_start "killswitch=yes"
ks_table_present || fail "no table inet $KS_TABLE with killswitch=yes"
log_since | grep "kill switch installed (nftables table inet $KS_TABLE" >/dev/null ||
  fail "openvpn's log does not say the kill switch was installed: $(log_since | grep -i 'kill switch' || true)"
in_host_initial=$(grep -c "^query $REMOTE_NAME\. " "$WORK/lan_dns.log" || true)
[ "$in_host_initial" -ge 1 ] || fail "openvpn did not look up $REMOTE_NAME at the LAN resolver"
run_class 1 "Port Fail" class_port_fail
run_class 2 "IPv6 with a v4-only tunnel (killswitch=yes)" class_ipv6
run_class 3 "the LAN's resolver (killswitch=yes)" class_lan_dns
run_class 4 "LocalNet (killswitch=yes)" class_localnet
run_class 5 "TunnelVision (killswitch=yes)" class_tunnelvision
run_class 10 "forwarded from a LAN (killswitch=yes)" class_forward
run_class d "DHCP and neighbour discovery pass (killswitch=yes)" class_dhcp
run_class i "inbound (killswitch=yes)" class_inbound
run_class t "the tunnel works (killswitch=yes)" class_tunnel
run_class s "vpnnsctl status shows the kill switch (killswitch=yes)" class_status
in_ns "$NS_CLI" nft list table inet someone-else >/dev/null || fail "the other owner's table is gone"
ks_stop

PHASE=lan
ks_start "killswitch=yes allow-lan=yes"
run_class 11 "allow-lan=yes" class_allow_lan
run_class d "DHCP and neighbour discovery pass (allow-lan=yes)" class_dhcp
ks_stop
report
