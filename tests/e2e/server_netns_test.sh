#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A VPN gateway in its own namespace: a real openvpn server (user nobody, chroot, persist-tun,
# ifconfig-noexec, route-noexec) with netns=$NS_VPN and client sets. The administrator created
# $NS_VPN beforehand with the gateway's LAN link (to $NS_LAN) and the firewall; openvpn itself
# stays in $NS_SRV.
#
# Asserts: the server's tun lands in $NS_VPN with the server's addresses, and the server's
# `route`/`route-ipv6` lines as routes through it — no default route, no DNS files, the LAN link
# left alone; openvpn stays unprivileged, chrooted, in its own namespace; the client sets in
# $NS_VPN hold the client's addresses; a client's ping crosses the gateway to a LAN host (the
# forward chain accepts it by @clients); after SIGTERM the tun and the members are gone and the
# namespace keeps its LAN link.
TEST_NAME=server-netns
source "$(dirname "$0")/lib.sh"

NS_LAN=$ID-lan
JAIL=$WORK/srvjail
LAN_HOST=203.0.113.10

setup_topology
make_pki
# The gateway namespace, as an administrator prepares it: a LAN link and a firewall.
ip netns add "$NS_VPN"
ip netns add "$NS_LAN"
register_ns "$NS_LAN"
ip -n "$NS_VPN" link set lo up
ip -n "$NS_LAN" link set lo up
ip -n "$NS_VPN" link add lan0 type veth peer name eth0 netns "$NS_LAN"
ip -n "$NS_VPN" addr add 203.0.113.1/25 dev lan0
ip -n "$NS_LAN" addr add "$LAN_HOST/25" dev eth0
ip -n "$NS_VPN" link set lan0 up
ip -n "$NS_LAN" link set eth0 up
ip -n "$NS_LAN" route add 192.0.2.0/24 via 203.0.113.1
ip netns exec "$NS_VPN" sysctl -qw net.ipv4.ip_forward=1
in_ns "$NS_VPN" nft -f - <<'EOF2'
table inet gw {
  set clients { type ipv4_addr; }
  set clients6 { type ipv6_addr; }
  counter refused { }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "tun0" ip saddr @clients accept
    counter name "refused" drop
  }
}
EOF2

mkdir -p "$JAIL/tmp"
chmod 1777 "$JAIL/tmp"
server_conf "user nobody" "group nogroup" "chroot $JAIL" persist-tun "$(ovpn_persist_key)" \
  ifconfig-noexec route-noexec "route 203.0.113.128 255.255.255.128" \
  "route-ipv6 2001:db8:300::/64" \
  "plugin $PLUGIN helper=$HELPER netns=$NS_VPN client-set=inet/gw/clients,inet/gw/clients6"
cat >"$WORK/client.conf" <<EOF2
client
dev tun
proto udp
remote 198.51.100.1 1194
nobind
ca $WORK/pki/ca.crt
cert $WORK/pki/client.crt
key $WORK/pki/client.key
remote-cert-tls server
disable-dco
$(ovpn_lines seal)
connect-retry 1 1
verb 3
log $WORK/client.log
EOF2
start_server
start_client
wait_connected

# --- Where everything is.
[ "$(links_in "$NS_VPN")" = "lan0 lo tun0 " ] || fail "$NS_VPN holds: $(links_in "$NS_VPN")"
[ "$(links_in "$NS_SRV")" = "lo veth0 " ] || fail "openvpn's namespace holds: $(links_in "$NS_SRV")"
pass "the server's tun moved into the gateway namespace, next to its LAN link"
addrs=$(ip -n "$NS_VPN" -o addr show dev tun0 | awk '$3 != "inet6" || $4 !~ /^fe80/ {print $4}' | sort | tr '\n' ' ')
[ "$addrs" = "192.0.2.1/24 2001:db8:100::1/64 " ] || fail "tun0 has: $addrs"
routes=$(routes_in "$NS_VPN" | grep 'dev tun0' | grep -v '^192.0.2.0/24\|^2001:db8:100::/64' || true)
grep -q "^203.0.113.128/25 via 192.0.2.2 dev tun0 proto 86" <<<"$routes" ||
  grep -q "^203.0.113.128/25 dev tun0 proto 86" <<<"$routes" || fail "the server's IPv4 route is missing: $routes"
grep -q "^2001:db8:300::/64 .*dev tun0 proto 86" <<<"$routes" || fail "the server's IPv6 route is missing: $routes"
[ "$(wc -l <<<"$routes")" = 2 ] || fail "routes through tun0 besides the server's two: $routes"
routes_in "$NS_VPN" | grep -q '^default' && fail "a default route in the gateway namespace"
[ ! -e "/etc/netns/$NS_VPN" ] || fail "DNS files written for a server's namespace"
# The marker records the role: the exec policy keeps group members out of a server's namespace.
[ "$(cat "/run/vpnns/netns/$NS_VPN")" = "$(stat -c %d:%i "/run/netns/$NS_VPN") server" ] ||
  fail "the server's marker: $(cat "/run/vpnns/netns/$NS_VPN")"
pass "tun0 holds the server's addresses; its route lines are routes there; no default route, no DNS files; marker 'server'"
uid=$(awk '/^Uid:/{print $2}' "/proc/$SERVER_PID/status")
[ "$uid" = "$(id -u nobody)" ] || fail "openvpn runs as uid $uid"
[ "$(readlink "/proc/$SERVER_PID/root")" = "$JAIL" ] || fail "openvpn is not chrooted"
[ "$(readlink "/proc/$SERVER_PID/ns/net")" = "$(in_ns "$NS_SRV" readlink /proc/self/ns/net)" ] ||
  fail "openvpn left its namespace"
HELPER_PID=$(helper_pid "$SERVER_PID")
[ -n "$HELPER_PID" ] || fail "no helper process"
pass "openvpn runs as nobody, chrooted, in its own namespace; helper pid $HELPER_PID"

# --- The client sets live in the gateway namespace.
V4=$(ip -n "$NS_CLI" -4 -o addr show dev tun0 | awk '{print $4}' | cut -d/ -f1)
V6=$(ip -n "$NS_CLI" -6 -o addr show dev tun0 scope global | awk '{print $4}' | cut -d/ -f1)
set_is() {
  [ "$(in_ns "$NS_VPN" nft -j list set inet gw "$1" | jq -r '.nftables[] | select(.set) | (.set.elem // []) | join(" ")')" = "$2" ]
}
wait_for 5 set_is clients "$V4" || fail "inet gw clients is not [$V4]"
set_is clients6 "$V6" || fail "inet gw clients6 is not [$V6]"
pass "the client's addresses $V4 and $V6 are in the gateway's sets"

# --- Through the gateway to the LAN.
in_ns "$NS_CLI" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no ping to the server's tunnel address"
in_ns "$NS_CLI" ping -c 1 -W 3 "$LAN_HOST" >/dev/null || fail "no ping through the gateway to the LAN"
pass "the client reaches the server's tun and, through the gateway's firewall, the LAN host"

# --- SIGTERM: the tunnel leaves; the administrator's namespace stays as it was.
kill -TERM "$SERVER_PID"
wait_gone "$SERVER_PID" 10 || fail "openvpn did not exit on SIGTERM"
wait_gone "$HELPER_PID" 1 || fail "the helper outlived openvpn"
[ "$(links_in "$NS_VPN")" = "lan0 lo " ] || fail "after SIGTERM $NS_VPN holds: $(links_in "$NS_VPN")"
set_is clients "" || fail "clients not empty after SIGTERM"
set_is clients6 "" || fail "clients6 not empty after SIGTERM"
grep -q "PLUGIN vpnns: DOWN: " "$WORK/server.log" || fail "no DOWN line in openvpn's log"
pass "SIGTERM: tun and members gone; the gateway namespace keeps lo and its LAN link"
grep -o "PLUGIN vpnns: [A-Z_]*UP: .*" "$WORK/server.log" | while read -r line; do log "  $line"; done
