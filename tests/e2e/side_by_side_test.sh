#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Several client tunnels on one machine, and a tunnel inside a tunnel, with one server run.
#
# Side by side: in the client host's namespace (it plays the root namespace) two netns-mode
# clients (namespaces A and B, instances $ID-a and $ID-b) and a seal-mode client (instance
# $ID-s, its tun and seal table in the host's namespace, calling the server on another address)
# run at once. Each has its own namespace, state file, DNS files or seal table, and its own
# tunnel address; stopping A leaves B and the seal client working and untouched; A is closed.
#
# Stacking: an inner server listens on the outer server's tunnel address (192.0.2.1:1195); an
# inner netns-mode client started inside namespace B (which has no link but the outer tun0)
# reaches it only through the outer tunnel and moves its own tun into a third namespace C. The
# outer server's counters show the inner tunnel's packets arriving on the outer tun and none on
# the physical link. Stopping the inner client leaves B working and C closed; with the inner one
# started again, stopping the outer one closes B and leaves C intact. Every namespace ends closed (lo alone, no route out), every seal table and
# state file gone.
TEST_NAME=side-by-side
source "$(dirname "$0")/lib.sh"

NS_A=$ID-a NS_B=$ID-b NS_C=$ID-c
register_ns "$NS_A"
register_ns "$NS_B"
register_ns "$NS_C"
setup_topology
ip -n "$NS_SRV" addr add 198.51.100.3/24 dev veth0  # the seal client's way to the server
make_pki
SERVER_ENDPOINT=$'proto udp4\nmultihome'
server_conf "duplicate-cn"

# conf NAME REMOTE NETNS_LINES PLUGIN_ARGS: $WORK/$ID-NAME.conf (instance $ID-NAME), its log
# $WORK/NAME.log.
conf() {
  CLIENT_REMOTES=$'proto udp4\nremote '"$2" CLIENT_NETNS_LINES=$3 client_conf "$4"
  sed "s|$WORK/client.log|$WORK/$1.log|" "$WORK/client.conf" >"$WORK/$ID-$1.conf"
}
conf a "198.51.100.1 1194" $'ifconfig-noexec\nroute-noexec' "netns=$NS_A helper=$HELPER"
conf b "198.51.100.1 1194" $'ifconfig-noexec\nroute-noexec' "netns=$NS_B helper=$HELPER"
conf s "198.51.100.3 1194" "" "helper=$HELPER"
conf c "192.0.2.1 1195" $'ifconfig-noexec\nroute-noexec' "netns=$NS_C helper=$HELPER"

at_least() {
  local n
  n=$(grep -c "$2" "$1" 2>/dev/null) || n=0
  [ "$n" -ge "$3" ]
}
declare -A PID_OF=()
# start NAME NS: starts client NAME in namespace NS and waits for its tunnel.
start() {
  start_openvpn "$2" "$WORK/$ID-$1.conf"
  PID_OF[$1]=$OPENVPN_PID
}
connected() {
  wait_for 20 at_least "$WORK/$1.log" "Initialization Sequence Completed" "${2:-1}" ||
    fail "client $1 did not connect"
}
stop() {
  kill -TERM "${PID_OF[$1]}"
  wait_gone "${PID_OF[$1]}" 10 || fail "client $1 did not exit on SIGTERM"
}
# Every client creates its tun in the host's namespace (tun0, tun1, ... in start order) before it
# moves: a namespace holds lo and one tun, whatever its number.
holds_one_tun() { [[ "$(links_in "$1")" =~ ^lo\ tun[0-9]+\ $ ]]; }
tun_addr() { ip -n "$1" -4 -o addr show 2>/dev/null | awk '$2 ~ /^tun/ {print $4}'; }
closed() { [ "$(links_in "$1")" = "lo " ] && [ -z "$(routes_in "$1")" ]; }
seal_table() { in_ns "$NS_CLI" nft list table inet "vpnns-$ID-s" >/dev/null 2>&1; }

# --- side by side ---------------------------------------------------------------------------
start_server
start a "$NS_CLI"
start b "$NS_CLI"
start s "$NS_CLI"
connected a
connected b
connected s
holds_one_tun "$NS_A" || fail "$NS_A holds: $(links_in "$NS_A")"
holds_one_tun "$NS_B" || fail "$NS_B holds: $(links_in "$NS_B")"
a=$(tun_addr "$NS_A") b=$(tun_addr "$NS_B") s=$(tun_addr "$NS_CLI")
[ -n "$a" ] && [ -n "$b" ] && [ -n "$s" ] || fail "tunnel addresses: a=$a b=$b s=$s"
[ "$a" != "$b" ] && [ "$a" != "$s" ] && [ "$b" != "$s" ] || fail "tunnel addresses not distinct: $a $b $s"
for ns in "$NS_A" "$NS_B"; do
  ip netns exec "$ns" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no ping through the tunnel in $ns"
  [ -s "/etc/netns/$ns/resolv.conf" ] || fail "no DNS files for $ns"
done
in_ns "$NS_CLI" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no ping through the seal client's tunnel"
seal_table || fail "no seal table vpnns-$ID-s"
# (Polled: the seal client's openvpn drops privileges right after connecting, and the seal then
# takes its uid in a transaction of its own.)
seal_holds() { in_ns "$NS_CLI" nft list table inet "vpnns-$ID-s" | grep -q "elements = { 198.51.100.3 }"; }
wait_for 2 seal_holds || fail "the seal does not hold the seal client's server alone: $(
  in_ns "$NS_CLI" nft list table inet "vpnns-$ID-s" 2>&1 | grep elements | tr '\n\t' '  ')"
tables=$(in_ns "$NS_CLI" nft list tables | grep -c vpnns) || true
[ "$tables" = 1 ] || fail "the host namespace holds $tables vpnns tables"
for i in a b s; do
  jq -e --arg i "$ID-$i" '.instance == $i' "/run/vpnns/$ID-$i.json" >/dev/null ||
    fail "no state file of its own for $ID-$i"
done
pass "side by side: $NS_A ($a), $NS_B ($b) and the seal client ($s) each with its own tunnel, state file, DNS files or seal table"

# --- stacking: an inner tunnel inside B ---------------------------------------------------------
cat >"$WORK/inner-srv.conf" <<EOF
dev tunin
dev-type tun
proto udp4
local 192.0.2.1
port 1195
topology subnet
server 203.0.113.0 255.255.255.128
server-ipv6 2001:db8:400::/64
keepalive 2 10
dh none
ca $WORK/pki/ca.crt
cert $WORK/pki/server.crt
key $WORK/pki/server.key
disable-dco
$(ovpn_lines server)
verb 3
log $WORK/inner-srv.log
EOF
in_ns "$NS_SRV" nft -f - <<EOF
table inet $ID-count {
  counter via_tun { }
  counter via_link { }
  chain pre {
    type filter hook prerouting priority -400; policy accept;
    iifname "tun0" udp dport 1195 counter name via_tun
    iifname "veth0" udp dport 1195 counter name via_link
  }
}
EOF
count() { in_ns "$NS_SRV" nft -j list counter inet "$ID-count" "$1" | jq '.nftables[] | select(.counter) | .counter.packets'; }
start_openvpn "$NS_SRV" "$WORK/inner-srv.conf"
INNER_SRV=$OPENVPN_PID
wait_for 10 grep -qs "Initialization Sequence Completed" "$WORK/inner-srv.log" || fail "the inner server did not start"
start c "$NS_B"
connected c
holds_one_tun "$NS_C" || fail "$NS_C holds: $(links_in "$NS_C")"
holds_one_tun "$NS_B" || fail "$NS_B holds after the inner start: $(links_in "$NS_B")"
ip netns exec "$NS_C" ping -c 3 -i 0.2 -W 3 203.0.113.1 >/dev/null || fail "no ping through the inner tunnel"
[ "$(count via_tun)" -gt 0 ] || fail "no inner tunnel packets on the outer tun"
[ "$(count via_link)" = 0 ] || fail "$(count via_link) inner tunnel packets on the physical link"
pass "stacked: the inner tunnel's tun in $NS_C; $(count via_tun) of its packets crossed the outer tunnel, $(count via_link) the link"

# --- stopping one leaves the others ----------------------------------------------------------------
stop c
wait_for 2 closed "$NS_C" || fail "$NS_C is not closed: $(links_in "$NS_C")"
ip netns exec "$NS_B" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "the outer tunnel broke when the inner one stopped"
pass "inner tunnel stopped: $NS_C closed, $NS_B still works"
stop a
wait_for 2 closed "$NS_A" || fail "$NS_A is not closed: $(links_in "$NS_A")"
ip netns exec "$NS_B" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "$NS_B broke when $NS_A stopped"
in_ns "$NS_CLI" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "the seal client broke when $NS_A stopped"
seal_table || fail "the seal table went with $NS_A"
[ ! -e "/run/vpnns/$ID-a.json" ] && [ -e "/run/vpnns/$ID-b.json" ] && [ -e "/run/vpnns/$ID-s.json" ] ||
  fail "state files after A stopped: $(echo /run/vpnns/"$ID"-*.json)"
pass "$NS_A stopped and closed; $NS_B and the seal client untouched and working"
# The inner tunnel again; now the outer one stops first: the inner one's namespace stays intact.
start c "$NS_B"
connected c 2
c=$(tun_addr "$NS_C")
stop b
wait_for 2 closed "$NS_B" || fail "$NS_B is not closed: $(links_in "$NS_B")"
holds_one_tun "$NS_C" && [ "$(tun_addr "$NS_C")" = "$c" ] && [ -e "/run/vpnns/$ID-c.json" ] ||
  fail "the inner tunnel's namespace changed when the outer one stopped: $(links_in "$NS_C")"
pass "outer tunnel stopped under a running inner one: $NS_B closed, $NS_C intact ($c)"
stop c
stop s
wait_for 2 closed "$NS_C" || fail "$NS_C is not closed: $(links_in "$NS_C")"
seal_table && fail "the seal table outlived its client"
for ns in "$NS_A" "$NS_B" "$NS_C"; do closed "$ns" || fail "$ns is not closed"; done
ls /run/vpnns/"$ID"-*.json >/dev/null 2>&1 && fail "state files left: $(ls /run/vpnns/"$ID"-*.json)"
kill -TERM "$INNER_SRV"
pass "all stopped: every namespace closed, no seal table, no state file; done in ${SECONDS}s"
