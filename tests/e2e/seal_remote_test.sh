#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The seal's evidence (helper/peer_evidence.h) with a real openvpn: a `remote` given by host name,
# over TCP and IPv6. The client resolves vpn.vpnns.test through its own /etc/hosts (a private
# mount namespace, so the host's file is never touched; the helper, forked by openvpn, sees the
# same file); the name says 2001:db8:1::1.
#
# Asserts: IPCHANGE seals 2001:db8:1::1 (the helper resolved the name itself at start). Then the
# name is pointed at 198.51.100.3 and openvpn reconnects there (SIGUSR1 re-resolves): the helper
# knows only what it resolved at start, so IPCHANGE to 198.51.100.3 is refused with the reason in
# openvpn's log, the seal's table is unchanged (rules and sets), and openvpn carries on
# (IPCHANGE's failure is a warning).
TEST_NAME=seal-remote
CLIENT_NETNS_LINES=""
SERVER_ENDPOINT=$'proto tcp6-server'
CLIENT_REMOTES=$'proto tcp-client\nremote vpn.vpnns.test 1194\nserver-poll-timeout 2'
source "$(dirname "$0")/lib.sh"

setup_topology
ip -n "$NS_SRV" addr add 198.51.100.3/24 dev veth0
make_pki
server_conf
start_server
client_conf "helper=$HELPER"
TABLE=vpnns-client

printf '2001:db8:1::1 vpn.vpnns.test\n' >"$WORK/hosts"
# The client's own /etc/hosts: a bind mount in a mount namespace of its own (unshare execs, so
# the pid is openvpn's).
OPENVPN=(unshare --mount --propagation private -- sh -c 'mount --bind "$0" /etc/hosts && exec "$@"'
  "$WORK/hosts" "${OPENVPN[@]}")
seal_set() { in_ns "$NS_CLI" nft list set inet "$TABLE" "$1" | tr -d '\n\t' | sed -n 's/.*elements = { \([^}]*\) }.*/\1/p'; }

start_client
wait_connected
grep -q "Peer Connection Initiated with \[AF_INET6\]2001:db8:1::1" "$WORK/client.log" ||
  fail "the client did not connect to 2001:db8:1::1 over TCP"
[ "$(seal_set server6)" = "2001:db8:1::1" ] || fail "server6 holds '$(seal_set server6)'"
in_ns "$NS_CLI" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "no traffic through the tunnel"
pass "TCP to a host-name remote over IPv6: IPCHANGE sealed 2001:db8:1::1"

# The name now says 198.51.100.3; a reconnect re-resolves and lands there. openvpn is chrooted by
# now and resolves through the jail's files.
before=$(in_ns "$NS_CLI" nft -s list table inet "$TABLE")
mkdir -p "$WORK/jail/etc"
printf 'hosts: files\n' >"$WORK/jail/etc/nsswitch.conf"
printf '198.51.100.3 vpn.vpnns.test\n' >"$WORK/jail/etc/hosts"
kill -USR1 "$CLIENT_PID"
wait_connected 2
grep -q "Peer Connection Initiated with \[AF_INET\]198.51.100.3:1194" "$WORK/client.log" ||
  fail "the client did not move to 198.51.100.3"
wait_for 3 grep -q "IPCHANGE refused.*198.51.100.3 is not one that openvpn's configuration connects to.*vpn.vpnns.test = 2001:db8:1::1" "$WORK/client.log" ||
  fail "no IPCHANGE refusal naming what the helper resolved in openvpn's log"
[ "$(in_ns "$NS_CLI" nft -s list table inet "$TABLE")" = "$before" ] ||
  fail "the seal's table changed after the refused IPCHANGE"
is_running "$CLIENT_PID" || fail "openvpn stopped after the refused IPCHANGE"
pass "IPCHANGE to an address the helper did not resolve for the remote: refused, table unchanged"
