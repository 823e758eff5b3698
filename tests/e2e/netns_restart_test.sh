#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Events after a restart: with --up-restart, SIGUSR1 fires DOWN("restart") and UP("restart"),
# both from the unprivileged, chrooted openvpn. The helper keeps the tunnel's configuration over
# DOWN restart and reconciles at UP restart, whatever state the namespace is in by then (here: an
# address and a route someone added meanwhile, and a changed MTU).
TEST_NAME=netns-restart
source "$(dirname "$0")/lib.sh"

setup_topology
make_pki
server_conf
client_conf "netns=$NS_VPN helper=$HELPER" "up-restart"
start_server
start_client
wait_connected

# Disturb the namespace the way a confused administrator might.
ip -n "$NS_VPN" addr add 192.0.2.200/24 dev tun0
ip -n "$NS_VPN" link set tun0 mtu 1300

kill -USR1 "$CLIENT_PID"
wait_connected 2
grep -q "PLUGIN vpnns: DOWN: restart: the tunnel stays configured (persist-tun)" "$WORK/client.log" ||
  fail "no DOWN restart line"
grep -q "PLUGIN vpnns: UP: restart: tun0 in network namespace '$NS_VPN' reconfigured" "$WORK/client.log" ||
  fail "no UP restart line"
[ "$(awk '/^Uid:/{print $2}' "/proc/$CLIENT_PID/status")" = "$(id -u nobody)" ] ||
  fail "openvpn is not unprivileged"
pass "DOWN/UP restart came from the unprivileged openvpn and were handled"

addrs=$(ip -n "$NS_VPN" -o addr show dev tun0 | awk '{print $4}' | grep -v '^fe80' | tr '\n' ' ')
[ "$addrs" = "192.0.2.2/24 2001:db8:100::1000/64 " ] || fail "addresses after UP restart: $addrs"
ip -n "$NS_VPN" -o link show tun0 | grep -q "mtu 1500" || fail "MTU not reconciled"
routes_in "$NS_VPN" | grep -q "^203.0.113.0/24 via 192.0.2.1 dev tun0 proto 86" ||
  fail "routes lost over the restart: $(routes_in "$NS_VPN")"
ip netns exec "$NS_VPN" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no ping after the restart"
ip netns exec "$NS_VPN" ping -6 -c 1 -W 3 2001:db8:100::1 >/dev/null || fail "no IPv6 ping after the restart"
pass "after UP restart: addresses and MTU reconciled, routes kept, traffic flows"
