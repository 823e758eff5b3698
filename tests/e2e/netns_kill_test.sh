#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# openvpn's death and bad configuration, end to end.
#   SIGKILL of openvpn → the helper notices (EOF, PDEATHSIG), tears down and exits within a
#   second; the namespace has no route out.
#   A malformed plugin argument → openvpn stops at start with a message naming the argument,
#   and nothing is created.
TEST_NAME=netns-kill
source "$(dirname "$0")/lib.sh"

setup_topology
make_pki
server_conf
start_server

client_conf "netns=$NS_VPN helper=$HELPER"
start_client
wait_connected
HELPER_PID=$(helper_pid "$CLIENT_PID")
[ -n "$HELPER_PID" ] || fail "no helper process"
routes_in "$NS_VPN" | grep -q default || fail "no default route before the kill"

kill -KILL "$CLIENT_PID"
wait_gone "$HELPER_PID" 1 || fail "the helper is still running a second after openvpn was killed"
pass "SIGKILL of openvpn: the helper exited within a second"
[ "$(links_in "$NS_VPN")" = "lo " ] || fail "$NS_VPN holds: $(links_in "$NS_VPN")"
[ -z "$(routes_in "$NS_VPN")" ] || fail "routes left: $(routes_in "$NS_VPN")"
[ ! -e "/etc/netns/$NS_VPN" ] || fail "DNS files left"
pass "the namespace holds only lo and has no route out"

# A fresh start reuses the namespace.
start_client
wait_connected 2
ip netns exec "$NS_VPN" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no ping after a restart"
pass "a new openvpn reuses the namespace"
kill -TERM "$CLIENT_PID"
wait_gone "$CLIENT_PID" 10 || fail "openvpn did not exit"

# Bad arguments: openvpn stops at start, naming each bad argument.
BAD_NS=${ID}-bad
register_ns "$BAD_NS"
client_conf "netns=$BAD_NS dns=maybe colour=blue helper=$HELPER"
start_client
wait_gone "$CLIENT_PID" 10 || fail "openvpn kept running with bad plugin arguments"
grep -q "PLUGIN vpnns: bad plugin arguments: argument 'dns=maybe': accepted values are 'yes', 'no' and 'pin'; argument 'colour=blue': unknown key 'colour'" "$WORK/client.log" ||
  fail "the log does not name the bad arguments"
grep -q "plugin initialization function failed" "$WORK/client.log" || fail "openvpn did not stop at plugin init"
[ ! -e "/run/netns/$BAD_NS" ] || fail "a namespace was created despite bad arguments"
pass "bad plugin arguments stop openvpn with a message naming them"

# A helper that others could replace is refused.
mkdir -p "$WORK/badhelper"
cp "$HELPER" "$WORK/badhelper/vpnns-helper"
chmod 777 "$WORK/badhelper"
client_conf "netns=$BAD_NS helper=$WORK/badhelper/vpnns-helper"
start_client
wait_gone "$CLIENT_PID" 10 || fail "openvpn kept running with an untrusted helper"
grep -q "directory $WORK/badhelper is writable by group or others" "$WORK/client.log" ||
  fail "the log does not explain the helper refusal"
pass "a helper in a world-writable directory is refused"
