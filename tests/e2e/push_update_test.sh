#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PUSH_UPDATE (openvpn 2.7): the server changes a connected client's address, routes and DNS in
# mid-session (management `push-update-cid`). The 2.7 client closes and reopens its tun for it
# (do_update → do_close_tun(force) → do_open_tun): dns-down, ROUTE_PREDOWN, DOWN, a new tun0,
# dns-up, UP, ROUTE_UP — all unprivileged and chrooted, so the helper does the work. In netns mode
# the namespace must end up exactly as if the new values had been pushed at connect: the new
# address, the new routes (and none of the old), lo and tun0 only.
#
# DNS: openvpn 2.7.6 hands no DNS of a PUSH_UPDATE to any dns-updown command, its own default
# included. A `dns` update clears the whole dns_options, the configured --dns-updown with it
# (update_option, options.c: CLEAR(options->dns_options)), so no command runs; a `dhcp-option DNS`
# update leaves the servers derived at connect in place (dhcp_options_postprocess_dns copies
# from --dhcp-option only while there are none), so the command is told the old ones. vpnns sees
# what openvpn tells it: the test checks the namespace keeps one consistent DNS set (the
# connect-time one, or the update's once openvpn delivers it), never none or a mix.
TEST_NAME=push_update
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
ovpn_at_least 2 7 || fail "PUSH_UPDATE is an openvpn 2.7 feature; this is openvpn $OPENVPN_VERSION"

setup_topology
make_pki
server_conf "management $WORK/mgmt.sock unix"
client_conf "netns=$NS_VPN helper=$HELPER"
# The reopen happens after the chroot: openvpn opens /dev/net/tun inside the jail (Debian's and
# this build keep CAP_NET_ADMIN after `user`, which TUNSETIFF needs).
mkdir -p "$WORK/jail/dev/net"
mknod "$WORK/jail/dev/net/tun" c 10 200
chmod 666 "$WORK/jail/dev/net/tun"
start_server
start_client
wait_connected 1

# mgmt CMD: one command to the server's management socket, its answer on stdout (openvpn answers
# a command only once it has read it: quit a moment later, not at once).
mgmt() { { printf '%s\n' "$1"; sleep 0.3; printf 'quit\n'; } | nc -U "$WORK/mgmt.sock" 2>/dev/null || true; }

resolv=/etc/netns/$NS_VPN/resolv.conf
grep -qx 'nameserver 192.0.2.53' "$resolv" || fail "no pushed DNS before the update: $(cat "$resolv" 2>&1)"
ip -n "$NS_VPN" -4 addr show dev tun0 | grep -q 'inet 192.0.2.2/24' || fail "no address before the update"

# The client's id on the server (CLIENT_LIST's "Client ID" column, status format 2).
cid=$(mgmt "status 2" | awk -F, '$1 == "CLIENT_LIST" && $2 == "client" {print $11}')
[[ $cid =~ ^[0-9]+$ ]] || fail "no client id in the server's status: '$cid'"
reply=$(mgmt "push-update-cid $cid \"ifconfig 192.0.2.77 255.255.255.0, route 198.51.100.128 255.255.255.128, route-ipv6 2001:db8:300::/48, dns server 1 address 192.0.2.54, dns search-domains update.test\"")
[[ $reply == *SUCCESS* ]] || fail "push-update-cid was refused: $reply"
wait_connected 2
sleep 0.5

[ "$(links_in "$NS_VPN")" = "lo tun0 " ] || fail "namespace holds: $(links_in "$NS_VPN")"
ip -n "$NS_VPN" -4 addr show dev tun0 | grep -q 'inet 192.0.2.77/24' ||
  fail "the new address did not land: $(ip -n "$NS_VPN" -4 addr show dev tun0)"
ip -n "$NS_VPN" -4 addr show dev tun0 | grep -q 'inet 192.0.2.2/' && fail "the old address stayed"
pass "the updated address is on tun0, the old one gone, and the namespace holds lo and tun0 only"
routes=$(routes_in "$NS_VPN")
grep -q '^198.51.100.128/25 .*dev tun0' <<<"$routes" || fail "the new route did not land: $routes"
grep -q '^2001:db8:300::/48 .*dev tun0' <<<"$routes" || fail "the new IPv6 route did not land: $routes"
grep -q '^203.0.113.0/24' <<<"$routes" && fail "the route the update replaced stayed: $routes"
grep -q '^2001:db8:200::/48' <<<"$routes" && fail "the IPv6 route the update replaced stayed: $routes"
pass "routes: the updated ones through tun0, the replaced ones gone"
servers=$(awk '$1 == "nameserver" {print $2}' "$resolv" | sort | tr '\n' ' ')
case "$servers" in
  "192.0.2.53 2001:db8:100::53 ") grep -q 'search example.test' "$resolv" ||
    fail "connect-time servers without their domain: $(cat "$resolv")"
    pass "resolv.conf keeps the connect-time DNS (openvpn $OPENVPN_VERSION delivered no DNS with the update)" ;;
  "192.0.2.54 ") grep -q 'search update.test' "$resolv" || fail "updated server without its domain"
    pass "resolv.conf holds the updated DNS server and domain" ;;
  *) fail "resolv.conf holds neither the connect-time nor the updated DNS: $(cat "$resolv")" ;;
esac
is_running "$CLIENT_PID" || fail "openvpn exited"
helper=$(helper_pid "$CLIENT_PID")
[ -n "$helper" ] || fail "no helper after the update"
pass "openvpn and the helper still run"
