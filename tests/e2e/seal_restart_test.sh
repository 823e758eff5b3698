#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Seal mode across restarts, chrooted and unprivileged, on either openvpn line: with --up-restart
# a SIGUSR1 fires DOWN("restart") and UP("restart") from the unprivileged openvpn, and a
# ping-restart (the server goes silent) reconnects without any event; after each the seal still
# holds the server's address, openvpn's new socket gets through it, and a process of another uid
# is still dropped on its way to the server (Port Fail stays closed).
TEST_NAME=seal-restart
CLIENT_NETNS_LINES=""
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

setup_topology
add_default_routes
make_pki
server_conf 'push "redirect-gateway def1"'
start_server
# A ping-restart of 3 s instead of the pushed 10 s, so that a silent server is noticed quickly.
client_conf "helper=$HELPER" "up-restart" 'pull-filter ignore "ping-restart"' "ping-restart 3"
TABLE=vpnns-client
start_client
wait_connected 1

sealed() { in_ns "$NS_CLI" nft list table inet "$TABLE" | grep "elements = { 198.51.100.1 }" >/dev/null; }
dropped() { in_ns "$NS_CLI" nft list counter inet "$TABLE" dropped | awk '/packets/{print $2}'; }
check_sealed() {  # check_sealed WHEN
  sealed || fail "$1: the seal does not hold the server's address"
  in_ns "$NS_CLI" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "$1: no traffic through the tunnel"
  local before
  before=$(dropped)
  in_ns "$NS_CLI" setpriv --reuid 4242 --regid 4242 --clear-groups \
    sh -c 'echo x | nc -u -w1 198.51.100.1 9999' >/dev/null 2>&1 || true
  [ "$(dropped)" -gt "$before" ] || fail "$1: a packet of uid 4242 to the server was not dropped"
}
check_sealed "connect"
helper=$(helper_pid "$CLIENT_PID")

kill -USR1 "$CLIENT_PID"
wait_connected 2
grep -q "PLUGIN vpnns: DOWN: .*restart\|PLUGIN_CALL: POST .*PLUGIN_DOWN status=0" "$WORK/client.log" ||
  fail "no DOWN(restart) handled"
[ "$(grep -c 'PLUGIN_CALL: POST .*PLUGIN_UP status=0' "$WORK/client.log")" -ge 2 ] ||
  fail "UP(restart) did not succeed: $(grep 'PLUGIN_UP' "$WORK/client.log")"
check_sealed "SIGUSR1 with up-restart"
pass "up-restart: DOWN and UP (restart) from the unprivileged openvpn succeed; the seal holds, openvpn gets through, uid 4242 is dropped"

# The server goes silent for longer than ping-restart: the client restarts on its own.
in_ns "$NS_SRV" nft add table inet silence
in_ns "$NS_SRV" nft add chain inet silence in '{ type filter hook input priority -300; policy accept; }'
in_ns "$NS_SRV" nft add rule inet silence in udp dport 1194 drop
in_ns "$NS_SRV" nft add chain inet silence out '{ type filter hook output priority -300; policy accept; }'
in_ns "$NS_SRV" nft add rule inet silence out udp sport 1194 drop
wait_for 15 grep -q "Inactivity timeout (--ping-restart)" "$WORK/client.log" || fail "no ping-restart"
in_ns "$NS_SRV" nft delete table inet silence
wait_connected 3
check_sealed "ping-restart"
[ "$(helper_pid "$CLIENT_PID")" = "$helper" ] || fail "the helper changed across the restarts"
pass "ping-restart: reconnected through the seal; uid 4242 still dropped; same helper"
