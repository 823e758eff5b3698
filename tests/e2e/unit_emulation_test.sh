#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# openvpn as Debian's openvpn-client@.service runs it: the unit's capability bounding set and a
# private (slave) mount namespace, emulated with setpriv and unshare (no systemd needed).
#
#   stock unit            → openvpn stops at start; the log names CAP_SYS_ADMIN and the drop-in
#   unit + vpnns drop-in  → (namespace created beforehand, as vpnns-netns@.service does) works,
#                           and the helper runs with CAP_NET_ADMIN alone, no new privileges,
#                           under its seccomp filter
TEST_NAME=unit-emulation
source "$(dirname "$0")/lib.sh"

# CapabilityBoundingSet= of /lib/systemd/system/openvpn-client@.service (Debian 12); OpenVPN
# 2.7's own unit (distro/systemd/openvpn-client@.service.in) adds CAP_SYS_NICE.
STOCK="-all,+ipc_lock,+net_admin,+net_raw,+setgid,+setuid,+setpcap,+sys_chroot,+dac_override"
! ovpn_at_least 2 7 || STOCK+=",+sys_nice"
DROPIN="$STOCK,+sys_admin"  # examples/systemd/openvpn-client@.service.d/vpnns.conf adds this

setup_topology
make_pki
server_conf
start_server
client_conf "netns=$NS_VPN helper=$HELPER"

start_as_unit() {
  nsenter --net="/run/netns/$NS_CLI" unshare --mount --propagation slave \
    setpriv --bounding-set "$1" "${OPENVPN[@]}" --config "$WORK/client.conf" >/dev/null 2>&1 &
  CLIENT_PID=$!
  STARTED_PIDS+=("$CLIENT_PID")
}

start_as_unit "$STOCK"
wait_gone "$CLIENT_PID" 15 || fail "openvpn kept running without CAP_SYS_ADMIN"
grep -q "PLUGIN vpnns: cannot start: vpnns-helper lacks CAP_SYS_ADMIN, which netns mode needs at start-up to create and enter the network namespace" "$WORK/client.log" ||
  fail "the log does not name the missing capability"
grep -q "openvpn-client@.service.d/vpnns.conf" "$WORK/client.log" || fail "the log does not point to the drop-in"
[ ! -e "/run/netns/$NS_VPN" ] || fail "a namespace was created"
pass "stock unit: refused at start, naming CAP_SYS_ADMIN and the drop-in"

ip netns add "$NS_VPN"  # what vpnns-netns@.service does, outside openvpn's mount namespace
start_as_unit "$DROPIN"
wait_connected
[ "$(links_in "$NS_VPN")" = "lo tun0 " ] || fail "$NS_VPN holds: $(links_in "$NS_VPN")"
ip netns exec "$NS_VPN" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no traffic"
HELPER_PID=$(helper_pid "$CLIENT_PID")
status=$(grep -E '^(CapEff|CapPrm|CapBnd|CapInh|CapAmb|NoNewPrivs|Seccomp):' "/proc/$HELPER_PID/status" | tr -s '\t' ' ')
expected="CapInh: 0000000000000000
CapPrm: 0000000000001000
CapEff: 0000000000001000
CapBnd: 0000000000001000
CapAmb: 0000000000000000
NoNewPrivs: 1
Seccomp: 2"
[ "$status" = "$expected" ] || fail "helper confinement: $status"
pass "with the drop-in: works; the helper keeps CAP_NET_ADMIN only, NoNewPrivs, seccomp filter"
