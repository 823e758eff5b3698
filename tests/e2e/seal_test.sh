#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Seal mode end to end, IPv4 underlay. The client's namespace plays the root namespace: openvpn
# runs there with redirect-gateway def1 pushed, user nobody, chroot, persist-tun, and the plugin
# with no arguments (seal=yes is the default without netns).
#
# Asserts: openvpn connects and passes traffic from its first packet and again after SIGUSR1
# (its socket then re-created as nobody); a process of another uid sending UDP, TCP and ICMP to
# the server's underlay address is dropped, the seal's counter rises, and nothing arrives at the
# server (counted there; root's identical traffic does arrive, proving the counting works);
# `nft flush ruleset` → the seal is back at once and the next event says so; SIGTERM and SIGKILL
# of openvpn → the table is gone within a second.
TEST_NAME=seal
CLIENT_NETNS_LINES=""
source "$(dirname "$0")/lib.sh"

setup_topology
add_default_routes
make_pki
server_conf 'push "redirect-gateway def1"'
start_server
client_conf "helper=$HELPER"
TABLE=vpnns-client

# Count at the server what a rogue client process sends to it.
in_ns "$NS_SRV" nft -f - <<'EOF'
table inet watch {
  chain in {
    type filter hook prerouting priority -400; policy accept;
    ip saddr 198.51.100.2 udp dport 9999 counter
    ip saddr 198.51.100.2 tcp dport 80 counter
    ip saddr 198.51.100.2 icmp type echo-request counter
  }
}
EOF
arrived() { in_ns "$NS_SRV" nft list chain inet watch in | grep -o 'packets [0-9]*' | awk '{s+=$2} END{print s+0}'; }
dropped() { in_ns "$NS_CLI" nft list counter inet "$TABLE" dropped | awk '/packets/{print $2}'; }
# send_as UID DEST: UDP, TCP and ICMP to DEST from a process of UID in the client's namespace.
send_as() {
  in_ns "$NS_CLI" setpriv --reuid "$1" --regid "$1" --clear-groups \
    sh -c "echo x | nc -u -w1 $2 9999; nc -z -w1 $2 80; ping -c 1 -W 1 $2" >/dev/null 2>&1 || true
}
sealed_uids() { in_ns "$NS_CLI" nft list set inet "$TABLE" uids | tr -d '\n\t' | sed 's/.*elements = { \([^}]*\) }.*/\1/'; }

start_client
wait_connected
in_ns "$NS_CLI" nft list table inet "$TABLE" | grep "elements = { 198.51.100.1 }" >/dev/null ||
  fail "the seal does not hold the server's address: $(in_ns "$NS_CLI" nft list ruleset)"
grep -q "PLUGIN vpnns: IPCHANGE: sealed 198.51.100.1" "$WORK/client.log" || fail "no IPCHANGE seal line"
# Installed before openvpn declared itself ready.
seal_line=$(grep -n "sealed 198.51.100.1" "$WORK/client.log" | head -1 | cut -d: -f1)
ready_line=$(grep -n "Initialization Sequence Completed" "$WORK/client.log" | head -1 | cut -d: -f1)
[ "$seal_line" -lt "$ready_line" ] || fail "the seal came after Initialization Sequence Completed"
in_ns "$NS_CLI" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no traffic through the tunnel"
pass "connected; seal installed before Initialization Sequence Completed; traffic flows"

uids_are() { [ "$(sealed_uids)" = "$1" ]; }
wait_for 5 uids_are "0, 65534" || fail "openvpn's user was not added to the seal: $(sealed_uids)"
pass "openvpn's privilege drop was seen: uids 0 and 65534 accepted"

# Positive control: root's packets do reach the server.
before=$(arrived)
send_as 0 198.51.100.1
[ "$(arrived)" -ge $((before + 3)) ] || fail "root's test traffic did not arrive; the counters cannot be trusted"
# The rogue uid: dropped and counted, nothing arrives.
before=$(arrived)
dropped_before=$(dropped)
send_as 4242 198.51.100.1
[ "$(arrived)" = "$before" ] || fail "traffic of uid 4242 reached the server ($before -> $(arrived))"
[ "$(dropped)" -ge $((dropped_before + 3)) ] || fail "the seal's counter did not rise ($dropped_before -> $(dropped))"
pass "UDP, TCP and ICMP from uid 4242 to the server: dropped ($(dropped) counted), none arrived"

# SIGUSR1 with persist-tun: no event fires before the new socket (now owned by nobody) talks to
# the server. It must get through.
kill -USR1 "$CLIENT_PID"
wait_connected 2
owner=$(in_ns "$NS_CLI" ss -uanep | grep "pid=$CLIENT_PID" | grep -o 'uid:[0-9]*' | head -1)
[ "$owner" = "uid:65534" ] || fail "openvpn's new socket is owned by '$owner', expected nobody"
in_ns "$NS_CLI" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no traffic after SIGUSR1"
pass "SIGUSR1: the new socket (uid 65534) reconnected through the seal; traffic flows"

# The table vanishes underneath: back at once, and the next event says so.
in_ns "$NS_CLI" nft flush ruleset
has_table() { in_ns "$NS_CLI" nft list tables | grep "$TABLE" >/dev/null; }
no_table() { ! has_table; }
wait_for 1 has_table || fail "the seal was not repaired after nft flush ruleset"
in_ns "$NS_CLI" nft list table inet "$TABLE" | grep "elements = { 198.51.100.1 }" >/dev/null || fail "repaired seal is wrong"
kill -USR1 "$CLIENT_PID"
wait_connected 3
wait_for 3 grep -q "removed underneath (nft flush ruleset? a firewall reload?); reinstalled" "$WORK/client.log" ||
  fail "openvpn's log does not report the repair"
send_as 4242 198.51.100.1
[ "$(dropped)" -ge 3 ] || fail "the repaired seal does not drop"
pass "nft flush ruleset: repaired at once, reported in openvpn's log at the next event"

HELPER_PID=$(helper_pid "$CLIENT_PID")
kill -TERM "$CLIENT_PID"
wait_gone "$CLIENT_PID" 10 || fail "openvpn did not exit"
wait_for 1 no_table || fail "the seal table outlived openvpn (SIGTERM)"
wait_gone "$HELPER_PID" 1 || fail "the helper outlived openvpn"
pass "SIGTERM: the table is gone"

start_client
wait_connected 4
in_ns "$NS_CLI" nft list tables | grep "$TABLE" >/dev/null || fail "no seal after the restart"
kill -KILL "$CLIENT_PID"
wait_for 1 no_table || fail "the seal table outlived a SIGKILLed openvpn"
pass "SIGKILL: the table is gone within a second"
