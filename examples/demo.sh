#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vpnns demo: a real OpenVPN server and client in throw-away namespaces, the client as an
# administrator would run it (user nobody, chroot, persist-tun, the vpnns plugin), and an
# application in the protected namespace that can reach the server only through the tunnel.
# Run it through `sudo scripts/demo` (which installs and builds first). Leaves nothing behind.
TEST_NAME=demo
source "$(dirname "$0")/../tests/e2e/lib.sh"

# vpnnsctl from the build tree (or VPNNS_CTL): run as root it starts the command itself, and
# through sudo as the user who called sudo.
vpnnsctl() { "${VPNNS_CTL:-$BUILD/ctl/vpnnsctl}" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
  printf '$ %s\n' "$*"
  "$@" 2>&1 | sed 's/^/    /'
}

say "Two throw-away namespaces joined by a veth: the server's network and the client's host"
setup_topology
make_pki
server_conf
start_server
echo "openvpn server pid $SERVER_PID in namespace $NS_SRV on 198.51.100.1:1194"

say "The client's configuration (note: user nobody, chroot, and the plugin line)"
client_conf "netns=$NS_VPN helper=$HELPER"
grep -v -e '^ca ' -e '^cert ' -e '^key ' -e '^log' -e '^verb' "$WORK/client.conf" | sed 's/^/    /'

say "Starting openvpn in the client's host namespace"
start_client
wait_connected
grep "PLUGIN vpnns" "$WORK/client.log" | sed 's/^[^P]*/    /'
echo "    openvpn runs as $(ps -o user= -p "$CLIENT_PID"), chrooted to $(readlink "/proc/$CLIENT_PID/root")"
echo "    vpnns-helper runs as $(ps -o user= -p "$(helper_pid "$CLIENT_PID")")"

say "The protected namespace '$NS_VPN' holds lo and the tunnel, nothing else"
show ip -n "$NS_VPN" -brief address
show ip -n "$NS_VPN" route
show vpnnsctl exec -n "$NS_VPN" -- cat /etc/resolv.conf

say "An application inside talks to a service on the server, through the tunnel"
in_ns "$NS_SRV" nc -l -s 192.0.2.1 -p 8080 <<<"hello from the server, over the VPN" >/dev/null &
STARTED_PIDS+=("$!")
sleep 0.3
show vpnnsctl exec -n "$NS_VPN" -- nc -w 3 192.0.2.1 8080

show ip netns exec "$NS_VPN" ping -c 2 -W 2 192.0.2.1

say "Even the server's real address is only reachable into the tunnel: there is no other way out"
printf '$ ip netns exec %s ping -c 1 -W 1 198.51.100.1\n' "$NS_VPN"
ip netns exec "$NS_VPN" ping -c 1 -W 1 198.51.100.1 2>&1 | sed 's/^/    /' || true
show ip -n "$NS_VPN" route get 198.51.100.1

say "openvpn stops: the namespace stays, with no way out"
kill -TERM "$CLIENT_PID"
wait_gone "$CLIENT_PID" 10
show ip -n "$NS_VPN" -brief link
printf '$ ip netns exec %s ping -c 1 -W 1 192.0.2.1\n' "$NS_VPN"
ip netns exec "$NS_VPN" ping -c 1 -W 1 192.0.2.1 2>&1 | sed 's/^/    /' || true

say "Done; removing the demo's namespaces"
