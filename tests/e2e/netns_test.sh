#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# netns mode end to end: Debian's openvpn as client (user nobody, group nogroup, chroot,
# persist-tun, persist-key, disable-dco, ifconfig-noexec, route-noexec, the plugin from the build
# tree) against a real server, IPv4 and IPv6 tunnel, server pushing routes and DNS.
#
# Asserts: the protected namespace holds exactly lo + tun; openvpn stays in its own namespace,
# unprivileged and chrooted; ping over v4 and v6 to the server's tunnel addresses works from the
# namespace; pushed routes are there; resolv.conf holds exactly the pushed servers; SIGUSR1 →
# still works; SIGTERM → the namespace remains with no route out, no helper, no DNS files, and
# an application inside keeps running.
TEST_NAME=netns
source "$(dirname "$0")/lib.sh"

setup_topology
make_pki
server_conf
client_conf "netns=$NS_VPN helper=$HELPER"
start_server
start_client
wait_connected

# --- The namespace and openvpn's own place.
[ "$(links_in "$NS_VPN")" = "lo tun0 " ] || fail "$NS_VPN holds: $(links_in "$NS_VPN")"
pass "the protected namespace holds exactly lo and tun0"
ip netns list | grep -qw "$NS_VPN" || fail "ip netns list does not show $NS_VPN"
pass "the namespace is visible to ip netns list"
[ "$(links_in "$NS_CLI")" = "lo veth0 " ] || fail "openvpn's namespace holds: $(links_in "$NS_CLI")"
pass "the tun left openvpn's namespace"
uid=$(awk '/^Uid:/{print $2}' "/proc/$CLIENT_PID/status")
[ "$uid" = "$(id -u nobody)" ] || fail "openvpn runs as uid $uid"
[ "$(readlink "/proc/$CLIENT_PID/root")" = "$WORK/jail" ] || fail "openvpn is not chrooted"
[ "$(readlink "/proc/$CLIENT_PID/ns/net")" = "$(in_ns "$NS_CLI" readlink /proc/self/ns/net)" ] ||
  fail "openvpn left its namespace"
pass "openvpn runs as nobody, chrooted, in its own namespace"
HELPER_PID=$(helper_pid "$CLIENT_PID")
[ -n "$HELPER_PID" ] || fail "no helper process"
[ "$(awk '/^Uid:/{print $2}' "/proc/$HELPER_PID/status")" = 0 ] || fail "the helper is not root"
pass "helper pid $HELPER_PID runs as root"

# --- Traffic, routes, DNS.
ip netns exec "$NS_VPN" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no IPv4 ping through the tunnel"
ip netns exec "$NS_VPN" ping -6 -c 1 -W 3 2001:db8:100::1 >/dev/null || fail "no IPv6 ping through the tunnel"
pass "ping to the server's tunnel addresses works over IPv4 and IPv6"
routes=$(routes_in "$NS_VPN")
grep -q "^203.0.113.0/24 via 192.0.2.1 dev tun0 proto 86" <<<"$routes" || fail "pushed IPv4 route missing: $routes"
grep -q "^2001:db8:200::/48 via 2001:db8:100::1 dev tun0 proto 86" <<<"$routes" || fail "pushed IPv6 route missing: $routes"
grep -q "^default dev tun0 proto 86 scope link" <<<"$routes" || fail "IPv4 default route missing: $routes"
grep -q "^default dev tun0 proto 86 metric 1024" <<<"$routes" || fail "IPv6 default route missing: $routes"
[ "$(grep -vc 'dev tun0' <<<"$routes")" = 0 ] || fail "a route not through the tunnel: $routes"
pass "pushed routes and default routes through tun0, nothing else"
servers=$(ip netns exec "$NS_VPN" awk '/^nameserver/{print $2}' /etc/resolv.conf | tr '\n' ' ')
[ "$servers" = "192.0.2.53 2001:db8:100::53 " ] || fail "resolv.conf in the namespace lists: $servers"
ip netns exec "$NS_VPN" grep -qx "search example.test" /etc/resolv.conf || fail "no search domain"
ip netns exec "$NS_VPN" grep -qx "hosts:          files dns" /etc/nsswitch.conf || fail "nsswitch hosts line"
pass "resolv.conf holds exactly the pushed servers; nsswitch.conf keeps lookups to files and dns"
grep -q "PLUGIN vpnns: UP: tun0 moved into network namespace '$NS_VPN'" "$WORK/client.log" ||
  fail "no UP line in openvpn's log"

# An application in the namespace that outlives the tunnel.
ip netns exec "$NS_VPN" sleep 600 &
APP_PID=$!
STARTED_PIDS+=("$APP_PID")

# --- SIGUSR1: openvpn reconnects as nobody; the tunnel keeps working.
kill -USR1 "$CLIENT_PID"
wait_connected 2
ip netns exec "$NS_VPN" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no ping after SIGUSR1"
[ "$(helper_pid "$CLIENT_PID")" = "$HELPER_PID" ] || fail "the helper changed across SIGUSR1"
pass "SIGUSR1: reconnected, still works, same helper"

# --- SIGTERM: the namespace remains, closed.
kill -TERM "$CLIENT_PID"
wait_gone "$CLIENT_PID" 10 || fail "openvpn did not exit on SIGTERM"
wait_gone "$HELPER_PID" 1 || fail "the helper outlived openvpn"
[ -e "/run/netns/$NS_VPN" ] || fail "the namespace is gone"
[ "$(links_in "$NS_VPN")" = "lo " ] || fail "after SIGTERM $NS_VPN holds: $(links_in "$NS_VPN")"
[ -z "$(routes_in "$NS_VPN")" ] || fail "routes left: $(routes_in "$NS_VPN")"
[ ! -e "/etc/netns/$NS_VPN" ] || fail "DNS files left in /etc/netns/$NS_VPN"
is_running "$APP_PID" || fail "the application in the namespace died"
ip netns exec "$NS_VPN" ping -c 1 -W 1 192.0.2.1 >/dev/null 2>&1 && fail "ping works without a tunnel"
grep -q "PLUGIN vpnns: DOWN: network namespace '$NS_VPN' kept, with no route out" "$WORK/client.log" ||
  fail "no DOWN line in openvpn's log"
pass "SIGTERM: namespace kept with only lo and no route, no helper, no DNS files, app still running"
