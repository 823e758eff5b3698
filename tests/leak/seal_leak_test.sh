#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The leak matrix in seal mode: class 1, Port Fail. openvpn runs in the client's namespace (it
# plays the root namespace) with redirect-gateway def1 pushed, user nobody, chroot, persist-tun and
# the plugin with no arguments; everything but openvpn's own sockets is a protected application.
# The exception route openvpn keeps to its server goes out of the physical side in the clear, so a
# process of another uid sending to the server's underlay address is exactly the leak the seal
# must close: UDP, TCP and ICMP from uid $APP_UID must be counted nowhere outside (the seal's own
# drop counter proves they were sent), while the same probes from root — whose sockets the seal
# lets through, as openvpn's first socket needs — are counted at the server (the control).
#
# The seal alone closes only this class: it is not a kill switch (when openvpn stops,
# redirect-gateway's routes go with it) and it does not cover IPv6 that a v4-only tunnel leaves on
# the physical side; netns mode does both (netns_leak_test.sh), and so does the seal with
# killswitch=yes|lockdown (killswitch_leak_test.sh, killswitch_life_test.sh).
TEST_NAME=leak-seal
CLIENT_NETNS_LINES=""
source "$(dirname "$0")/leak_lib.sh"

sealed() { in_ns "$NS_CLI" nft list counter inet vpnns-client dropped | awk '/packets/{print $2}'; }

class_port_fail_seal() {
  local before after sb sa control out
  before=$(counter "$NS_SRV" outside)
  in_ns "$NS_CLI" bash -c "$(probe_script "$SERVER")" >/dev/null 2>&1 || true
  after=$(counter "$NS_SRV" outside)
  expect_seen "UDP, TCP and ICMP from root (accepted by the seal) at the server's underlay" "$before" "$after" 3
  control=$((after - before))

  before=$(outside_all)
  sb=$(sealed)
  out=$(in_ns "$NS_CLI" setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups \
    bash -c "$(probe_script "$SERVER")" 2>&1) || true
  sleep 0.2
  after=$(outside_all)
  sa=$(sealed)
  expect_none "outside counters (server, LAN, rogue gateway)" "$before" "$after"
  [ $((sa - sb)) -ge 3 ] || fail "the seal did not count the application's probes ($sb -> $sa): $out"
  pass "UDP, TCP, ICMP to $SERVER: root's probes counted $control times at the server's underlay; uid $APP_UID's: dropped by the seal ($((sa - sb)) counted), 0 outside"
}

setup_leak_topology
add_default_routes
make_pki
server_conf 'push "redirect-gateway def1"'
client_conf "helper=$HELPER"
start_server
start_client
wait_connected 1
seal=$(in_ns "$NS_CLI" nft list table inet vpnns-client)
grep -q "elements = { $SERVER }" <<<"$seal" || fail "the seal does not hold the server's address: $seal"
routes=$(ip -n "$NS_CLI" route show)
grep -q "^0.0.0.0/1 via 192.0.2.1 dev tun0" <<<"$routes" || fail "redirect-gateway is not in place: $routes"

run_class 1 "Port Fail (seal mode)" class_port_fail_seal
report
