#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# openvpn in a private mount namespace (what `ip netns exec` and systemd's PrivateTmp= give it).
# A namespace created from there would be a bind mount the host cannot see, so the helper refuses
# to create one and says how to pre-create it; a namespace created beforehand on the host works.
TEST_NAME=netns-mountns
source "$(dirname "$0")/lib.sh"

setup_topology
make_pki
server_conf
start_server

start_private() {
  nsenter --net="/run/netns/$NS_CLI" unshare --mount --propagation slave \
    "${OPENVPN[@]}" --config "$WORK/client.conf" >/dev/null 2>&1 &
  CLIENT_PID=$!
  STARTED_PIDS+=("$CLIENT_PID")
}

client_conf "netns=$NS_VPN helper=$HELPER"
start_private
wait_gone "$CLIENT_PID" 15 || fail "openvpn kept running"
grep -q "network namespace '$NS_VPN' does not exist, and openvpn runs in a private mount namespace" "$WORK/client.log" ||
  fail "no explanation in the log"
grep -q "create it first on the host with \`ip netns add $NS_VPN\`" "$WORK/client.log" ||
  fail "the log does not say how to pre-create the namespace"
[ ! -e "/run/netns/$NS_VPN" ] || fail "a namespace file was left on the host"
pass "refused to create an invisible namespace, with instructions"

ip netns add "$NS_VPN"
start_private
wait_connected
[ "$(links_in "$NS_VPN")" = "lo tun0 " ] || fail "$NS_VPN holds: $(links_in "$NS_VPN")"
ip netns exec "$NS_VPN" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no ping"
pass "a namespace created on the host beforehand works from a private mount namespace"
