#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# openvpn 2.7's DNS in netns mode, chrooted and unprivileged (openvpn 2.7 only).
#
# 1. Configurations that would let 2.7 touch the host's DNS, or lose the namespace's DNS at the
#    first restart, stop openvpn at start with a message naming the line to add, before anything
#    is created: no dns-updown line (2.7's default would rewrite the host's resolv.conf),
#    vpnns-dns-updown without script-security 2, a jail whose tmp `nobody` cannot write.
# 2. The `dns` push style (`dns server N address ...`, `dns search-domains`, `resolve-domains`,
#    another port, DoT) reaches the namespace through vpnns-dns-updown: resolv.conf holds exactly
#    the servers resolv.conf can express and the search domains; dns=pin pins exactly them; the
#    warnings for what was left out are in openvpn's log; SIGUSR1 (a dns-down and a dns-up
#    through openvpn's privileged runner and a vars file inside the jail) keeps it all, and the
#    jail's tmp holds no vars file afterwards.
# The host's /etc/resolv.conf is guarded by lib.sh throughout.
TEST_NAME=dns27
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
ovpn_at_least 2 7 || fail "this test is for openvpn 2.7; this is openvpn $OPENVPN_VERSION"

setup_topology
make_pki
server_conf \
  'push "dns server 1 address 192.0.2.153 2001:db8:100::153"' \
  'push "dns server 1 resolve-domains corp.test"' \
  'push "dns server 2 address 192.0.2.154:5353"' \
  'push "dns server 3 address 192.0.2.155"' \
  'push "dns server 3 transport DoT"' \
  'push "dns server 3 sni dns.example.test"' \
  'push "dns search-domains example.test second.test"'
start_server

# --- 1. Refusals at start: openvpn exits, saying what to add; nothing was created.
refused_with() {  # refused_with WHAT MESSAGE-PART
  start_client
  wait_gone "$CLIENT_PID" 10 || fail "$1: openvpn did not stop at start"
  grep -qF -- "$2" "$WORK/client.log" || fail "$1: no '$2' in openvpn's log: $(grep vpnns "$WORK/client.log")"
  ! ip netns list | grep -qw "$NS_VPN" || fail "$1: the namespace was created"
  [ -z "$(helper_pid "$CLIENT_PID")" ] || fail "$1: a helper runs"
  rm -f "$WORK/client.log"
  pass "$1: openvpn stopped at start with '$2'; nothing created"
}
VPNNS_DNS_UPDOWN=/nonexistent client_conf "netns=$NS_VPN helper=$HELPER"
sed -i -e '/^script-security /d' -e '/^dns-updown /d' "$WORK/client.conf"
refused_with "no dns-updown line" "add 'script-security 2' and 'dns-updown $(dirname "$HELPER")/vpnns-dns-updown'"
client_conf "netns=$NS_VPN helper=$HELPER"
sed -i 's/^script-security 2$/script-security 1/' "$WORK/client.conf"
refused_with "script-security 1" "only with 'script-security 2'"
client_conf "netns=$NS_VPN helper=$HELPER"
chown root "$WORK/jail/tmp"
refused_with "the jail's tmp is root's" "$WORK/jail/tmp must be a directory that user 'nobody' can write"

# --- 2. The dns push style, dns=pin, and a restart.
client_conf "netns=$NS_VPN helper=$HELPER dns=pin instance=$ID"
start_client
wait_connected 1
resolv=/etc/netns/$NS_VPN/resolv.conf
expect_dns() {
  local servers
  servers=$(awk '$1 == "nameserver" {print $2}' "$resolv" | tr '\n' ' ')
  [ "$servers" = "192.0.2.153 2001:db8:100::153 " ] || fail "$1: resolv.conf lists '$servers'"
  grep -qx 'search example.test second.test' "$resolv" || fail "$1: search line: $(cat "$resolv")"
  local pinned
  pinned=$(ip netns exec "$NS_VPN" nft list table inet vpnns-dns | tr -d '\n\t' | grep -o 'elements = {[^}]*}' | tr '\n' ' ')
  [[ $pinned == *192.0.2.153* && $pinned == *2001:db8:100::153* ]] || fail "$1: the pin holds: $pinned"
  [[ $pinned != *192.0.2.154* && $pinned != *192.0.2.155* ]] || fail "$1: the pin holds a left-out server: $pinned"
}
expect_dns "connect"
grep -q "vpnns-dns-updown: warning: DNS server 192.0.2.154 on port 5353" "$WORK/client.log" ||
  fail "no warning for the server on port 5353"
grep -q "vpnns-dns-updown: warning: DNS server 192.0.2.155 uses transport DoT" "$WORK/client.log" ||
  fail "no warning for the DoT server"
grep -q "vpnns-dns-updown: warning: DNS server 1 is for corp.test only" "$WORK/client.log" ||
  fail "no warning for resolve-domains"
pass "dns push style: resolv.conf and the pin hold exactly the plain servers and both search domains; what was left out is logged"

kill -USR1 "$CLIENT_PID"
wait_connected 2
expect_dns "after SIGUSR1"
[ "$(grep -c 'dns up command exited with status 0' "$WORK/client.log")" -ge 2 ] ||
  fail "the restart's dns-up did not succeed: $(grep 'dns up command' "$WORK/client.log")"
[ -z "$(ls -A "$WORK/jail/tmp")" ] || fail "vars files left in the jail: $(ls -A "$WORK/jail/tmp")"
pass "SIGUSR1: dns-down and dns-up through openvpn's runner from inside the jail; DNS and pin unchanged; no vars file left"
