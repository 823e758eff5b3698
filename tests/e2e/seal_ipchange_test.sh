#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Seal mode end to end over an IPv6 underlay, and the seal following openvpn to another address.
# The server listens on 2001:db8:1::1 and 198.51.100.3 (multihome); the client's round-robin
# `remote` list starts with the IPv6 one.
#
# Asserts: the seal holds 2001:db8:1::1; UDP, TCP and ICMPv6 from another uid are dropped and
# counted and never arrive. Then the server's IPv6 address stops answering and a forced reconnect
# lands on 198.51.100.3: IPCHANGE moves the seal there (the old address is released), and the
# rogue uid's IPv4 traffic to the new address is dropped.
TEST_NAME=seal-ipchange
CLIENT_NETNS_LINES=""
SERVER_ENDPOINT=$'proto udp6\nmultihome'
CLIENT_REMOTES=$'proto udp\nremote 2001:db8:1::1 1194\nremote 198.51.100.3 1194\nserver-poll-timeout 2'
source "$(dirname "$0")/lib.sh"

setup_topology
add_default_routes
ip -n "$NS_SRV" addr add 198.51.100.3/24 dev veth0
make_pki
server_conf 'push "redirect-gateway def1 ipv6"'
start_server
client_conf "helper=$HELPER"
TABLE=vpnns-client

in_ns "$NS_SRV" nft -f - <<'EOF'
table inet watch {
  chain in {
    type filter hook prerouting priority -400; policy accept;
    ip6 saddr 2001:db8:1::2 udp dport 9999 counter
    ip6 saddr 2001:db8:1::2 tcp dport 80 counter
    ip6 saddr 2001:db8:1::2 icmpv6 type echo-request counter
    ip saddr 198.51.100.2 udp dport 9999 counter
    ip saddr 198.51.100.2 tcp dport 80 counter
    ip saddr 198.51.100.2 icmp type echo-request counter
  }
}
EOF
arrived() { in_ns "$NS_SRV" nft list chain inet watch in | grep -o 'packets [0-9]*' | awk '{s+=$2} END{print s+0}'; }
dropped() { in_ns "$NS_CLI" nft list counter inet "$TABLE" dropped | awk '/packets/{print $2}'; }
send_as() {
  in_ns "$NS_CLI" setpriv --reuid "$1" --regid "$1" --clear-groups \
    sh -c "echo x | nc -u -w1 $2 9999; nc -z -w1 $2 80; ping -c 1 -W 1 $2" >/dev/null 2>&1 || true
}
seal_set() { in_ns "$NS_CLI" nft list set inet "$TABLE" "$1" | tr -d '\n\t' | sed -n 's/.*elements = { \([^}]*\) }.*/\1/p'; }

start_client
wait_connected
[ "$(seal_set server6)" = "2001:db8:1::1" ] || fail "server6 holds '$(seal_set server6)'"
[ -z "$(seal_set server4)" ] || fail "server4 holds '$(seal_set server4)'"
in_ns "$NS_CLI" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no traffic through the tunnel"
pass "connected over IPv6; the seal holds 2001:db8:1::1"

before=$(arrived)
send_as 0 2001:db8:1::1
[ "$(arrived)" -ge $((before + 3)) ] || fail "root's IPv6 test traffic did not arrive"
before=$(arrived)
dropped_before=$(dropped)
send_as 4242 2001:db8:1::1
[ "$(arrived)" = "$before" ] || fail "IPv6 traffic of uid 4242 reached the server"
[ "$(dropped)" -ge $((dropped_before + 3)) ] || fail "the counter did not rise for IPv6"
pass "IPv6 underlay: UDP, TCP and ICMPv6 from uid 4242 dropped and counted, none arrived"

# The IPv6 address stops answering openvpn; a forced reconnect moves on to 198.51.100.3.
in_ns "$NS_SRV" nft add rule inet watch in ip6 daddr 2001:db8:1::1 udp dport 1194 drop
kill -USR1 "$CLIENT_PID"
wait_connected 2
grep -q "Peer Connection Initiated with \[AF_INET\]198.51.100.3:1194" "$WORK/client.log" ||
  fail "the client did not move to 198.51.100.3"
wait_for 3 grep -q "PLUGIN vpnns: IPCHANGE: seal moved from 2001:db8:1::1 to 198.51.100.3" "$WORK/client.log" ||
  fail "no IPCHANGE seal move in openvpn's log"
[ "$(seal_set server4)" = "198.51.100.3" ] || fail "server4 holds '$(seal_set server4)'"
[ -z "$(seal_set server6)" ] || fail "the old address is still sealed: '$(seal_set server6)'"
in_ns "$NS_CLI" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no traffic after the move"
pass "IPCHANGE: the seal moved from 2001:db8:1::1 to 198.51.100.3 in one step"

before=$(arrived)
dropped_before=$(dropped)
send_as 4242 198.51.100.3
[ "$(arrived)" = "$before" ] || fail "IPv4 traffic of uid 4242 reached the new server address"
[ "$(dropped)" -ge $((dropped_before + 3)) ] || fail "the counter did not rise at the new address"
pass "the new address is sealed: uid 4242's traffic dropped"
