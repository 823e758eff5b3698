#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A hostile VPN server end to end: Debian's openvpn as server pushing garbage, Debian's openvpn as
# client in netns mode (user nobody, group nogroup, chroot, persist-tun, persist-key, disable-dco,
# ifconfig-noexec, route-noexec, the plugin from the build tree); a fresh server, client and
# protected namespace for every case.
#
# Proves: what the server pushes reaches the protected namespace's routing table and
# /etc/netns/NS/ only as valid data, never otherwise:
#   * routes via gateways not on the tunnel (off-tunnel, broadcast, multicast; IPv4 and IPv6)
#     refuse the whole ROUTE_UP with a reason in openvpn's log: no vpnns route, no default route,
#     no DNS files, and openvpn keeps running (a ROUTE_UP error is not fatal). Routes via the
#     client host's own gateway (net_gateway) are dropped with a warning.
#   * /0 and /32 (/128) prefixes and the largest metric are valid and installed exactly, through
#     tun0; a pushed default replaces vpnns's own (one default route per family). Host bits
#     refuse the event.
#   * tun-mtu below IPv6's 1280 or above 65535 refuses UP, which stops openvpn (then the namespace
#     holds lo alone, no route); a valid tun-mtu is applied to the device.
#   * DNS garbage (spaces, quotes, semicolons, an over-long name, non-addresses, loopback,
#     multicast and IPv4-mapped servers, --dns values) refuses the event: no resolv.conf, no
#     nsswitch.conf, no vpnns route.
#   * what openvpn itself drops or rewrites (extra words, a newline, "route-ipv6 ... net_gateway",
#     a metric beyond int, options over 255 characters, tun-mtu above tun-mtu-max) is shown for
#     what it is; whatever is left is refused or applied as above.
#   * a control case with valid pushes only: routes, resolv.conf and traffic are there.
# Every case also records what openvpn itself made of the push (its log, and the environment it
# hands the plugin, dumped by a route-up observer), so that a value openvpn already dropped or
# rewrote is never counted as one vpnns refused. After every case: SIGTERM leaves the namespace
# with lo alone, no route, no DNS files, and no helper.
TEST_NAME=hostile_push
source "$(dirname "$0")/lib.sh"

setup_topology
# The client's host gets a default gateway (an address in the server's namespace, nothing
# beyond), so that "net_gateway" means something to openvpn, as on a real host.
add_default_routes
make_pki

CASES=$WORK/cases # logs of finished cases (dump_logs shows the current case's only)
mkdir -p "$CASES"
N=0
CASE_NAME=
SERVER_PID=
CLIENT_PID=
VH_PID=
# Set just before connect, for one case: extra client lines, extra server command-line options,
# and SERVER_26=1 for a server of Debian's openvpn 2.6 whatever the client's line.
CLIENT_EXTRA=()
SERVER_ARGV=()
SERVER_26=0


client_settled() {
  grep -qs -e 'Initialization Sequence Completed' -e 'Received control with invalid characters' \
    "$WORK/client.log" || ! is_running "$CLIENT_PID"
}

# connect NAME [SERVER LINES...]: a fresh server (server_conf with these lines, plus SERVER_ARGV
# on its command line) and a fresh client (client_conf plus CLIENT_EXTRA and the observer); waits
# until the client has connected, has exited, or has thrown the server's reply away.
connect() {
  CASE_NAME=$1
  shift
  N=$((N + 1))
  log "case $N: $CASE_NAME"
  server_conf "$@"
  # The observer: openvpn runs route-up scripts right after the plugin's ROUTE_UP, with the same
  # environment (still as root, before the chroot), so this is exactly what vpnns was handed.
  client_conf "netns=$NS_VPN helper=$HELPER" "script-security 2" \
    "route-up \"/bin/sh -c 'env >$WORK/route-up.env'\"" "${CLIENT_EXTRA[@]}"
  local server=("${OPENVPN[@]}")
  if [ "$SERVER_26" = 1 ]; then
    server=(/usr/sbin/openvpn)
    sed -i '/^dns-updown /d' "$WORK/server.conf"  # a 2.7 option
  fi
  nsenter --net="/run/netns/$NS_SRV" "${server[@]}" --config "$WORK/server.conf" \
    "${SERVER_ARGV[@]}" >/dev/null 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  wait_for 10 grep -qs "Initialization Sequence Completed" "$WORK/server.log" ||
    fail "$CASE_NAME: the server did not start"
  start_client
  wait_for 15 client_settled || fail "$CASE_NAME: the client neither connected nor stopped"
  VH_PID=$(sed -n 's/.*PLUGIN vpnns: helper pid \([0-9]*\) started.*/\1/p' "$WORK/client.log")
  [ -n "$VH_PID" ] || fail "$CASE_NAME: no helper pid in openvpn's log (the plugin did not start)"
  CLIENT_EXTRA=()
  SERVER_ARGV=()
  SERVER_26=0
}

# finish: SIGTERM to the client, then the server; the namespace must be left closed (lo alone, no
# route, no DNS files, no helper). Then the logs are filed away and the namespace is deleted, so
# that the next case starts from nothing.
finish() {
  kill -TERM "$CLIENT_PID" 2>/dev/null || true
  wait_gone "$CLIENT_PID" 10 || fail "$CASE_NAME: openvpn (client) did not exit on SIGTERM"
  forget "$CLIENT_PID"
  wait_gone "$VH_PID" 5 || fail "$CASE_NAME: the helper outlived openvpn"
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait_gone "$SERVER_PID" 10 || fail "$CASE_NAME: the server did not exit on SIGTERM"
  forget "$SERVER_PID"
  if [ -e "/run/netns/$NS_VPN" ]; then
    [ "$(links_in "$NS_VPN")" = "lo " ] ||
      fail "$CASE_NAME: after openvpn's exit $NS_VPN holds: $(links_in "$NS_VPN")"
    [ -z "$(routes_in "$NS_VPN")" ] ||
      fail "$CASE_NAME: after openvpn's exit $NS_VPN has routes: $(routes_in "$NS_VPN")"
  fi
  [ ! -e "/etc/netns/$NS_VPN" ] || fail "$CASE_NAME: /etc/netns/$NS_VPN left after openvpn's exit"
  local f
  for f in client.log server.log route-up.env; do
    if [ -e "$WORK/$f" ]; then mv "$WORK/$f" "$CASES/$N.$f"; fi
  done
  ip netns del "$NS_VPN" 2>/dev/null || true
}

# logged FRAGMENT...: one line of openvpn's client log holds every FRAGMENT (fixed strings).
logged() {
  local lines f
  lines=$(grep -F -- "$1" "$WORK/client.log") || return 1
  shift
  for f in "$@"; do lines=$(grep -F -- "$f" <<<"$lines") || return 1; done
}

# seen_env LINE / unseen_env TEXT: what openvpn handed the plugin at ROUTE_UP.
seen_env() {
  grep -qxF -- "$1" "$WORK/route-up.env" || fail "$CASE_NAME: openvpn did not hand over '$1'"
}
unseen_env() {
  [ -e "$WORK/route-up.env" ] || fail "$CASE_NAME: no ROUTE_UP environment recorded"
  if grep -qF -- "$1" "$WORK/route-up.env"; then
    fail "$CASE_NAME: openvpn handed over '$1': $(grep -F -- "$1" "$WORK/route-up.env")"
  fi
}

# The refusal as openvpn logged it, for the pass message.
reason() {
  grep -E 'PLUGIN vpnns: .*refused' "$WORK/client.log" | tail -n 1 | sed 's/.*PLUGIN vpnns: //' |
    cut -c1-150
}

# vpnns_routes: the routes vpnns owns in the namespace (protocol 86), IPv4 then IPv6.
vpnns_routes() {
  {
    ip -n "$NS_VPN" -4 route show table main proto 86
    ip -n "$NS_VPN" -6 route show table main proto 86
  } | sed 's/ *$//'
}

default_routes() {
  ip -n "$NS_VPN" -4 route show table main exact 0.0.0.0/0
  ip -n "$NS_VPN" -6 route show table main exact ::/0
}

# only_through_tunnel: every route of the namespace goes through tun0.
only_through_tunnel() {
  local routes
  routes=$(routes_in "$NS_VPN")
  [ -n "$routes" ] || return 0
  [ "$(grep -vc ' dev tun0\( \|$\)' <<<"$routes")" = 0 ] ||
    fail "$CASE_NAME: a route not through the tunnel: $routes"
}

# no_trace TEXT...: TEXT appears neither in the namespace's routes nor under /etc/netns/NS.
no_trace() {
  local t
  for t in "$@"; do
    if routes_in "$NS_VPN" | grep -qF -- "$t"; then
      fail "$CASE_NAME: '$t' in the routing table: $(routes_in "$NS_VPN")"
    fi
    if [ -e "/etc/netns/$NS_VPN" ] && grep -rqF -- "$t" "/etc/netns/$NS_VPN"; then
      fail "$CASE_NAME: '$t' written under /etc/netns/$NS_VPN"
    fi
  done
}

# route_up_refused FRAGMENT...: ROUTE_UP was refused with a reason holding every FRAGMENT; openvpn
# carries on connected; the namespace holds the tunnel with its addresses but no vpnns route, no
# default route, nothing outside tun0 and no DNS files.
route_up_refused() {
  is_running "$CLIENT_PID" || fail "$CASE_NAME: openvpn exited; a refused ROUTE_UP must not stop it"
  grep -q 'Initialization Sequence Completed' "$WORK/client.log" ||
    fail "$CASE_NAME: openvpn did not finish connecting"
  grep -qF 'WARNING: route-up plugin call failed' "$WORK/client.log" ||
    fail "$CASE_NAME: openvpn does not report the failed ROUTE_UP"
  logged "PLUGIN vpnns: " "refused" "$@" ||
    fail "$CASE_NAME: no refusal naming '$*' in openvpn's log"
  if grep -qF 'PLUGIN vpnns: ROUTE_UP: ' "$WORK/client.log"; then
    fail "$CASE_NAME: ROUTE_UP reported as applied"
  fi
  [ "$(links_in "$NS_VPN")" = "lo tun0 " ] || fail "$CASE_NAME: $NS_VPN holds: $(links_in "$NS_VPN")"
  [ -z "$(vpnns_routes)" ] || fail "$CASE_NAME: vpnns routes after the refusal: $(vpnns_routes)"
  [ -z "$(default_routes)" ] || fail "$CASE_NAME: a default route after the refusal: $(default_routes)"
  only_through_tunnel
  [ ! -e "/etc/netns/$NS_VPN" ] ||
    fail "$CASE_NAME: DNS files written: $(find "/etc/netns/$NS_VPN" -mindepth 1 | tr '\n' ' ')"
  pass "$CASE_NAME: refused ($(reason)); no vpnns or default route, no DNS files, openvpn runs on"
}

# up_refused FRAGMENT...: UP was refused with a reason holding every FRAGMENT, which stopped
# openvpn; the namespace holds lo alone with no route and no DNS files, and the tun did not stay
# behind in openvpn's namespace either.
up_refused() {
  wait_gone "$CLIENT_PID" 5 || fail "$CASE_NAME: openvpn still runs after UP was refused"
  grep -qF 'Exiting due to fatal error' "$WORK/client.log" ||
    fail "$CASE_NAME: openvpn did not stop on the refused UP"
  logged "PLUGIN vpnns: UP refused" "$@" || fail "$CASE_NAME: no UP refusal naming '$*' in openvpn's log"
  if grep -qF 'PLUGIN vpnns: UP: ' "$WORK/client.log"; then fail "$CASE_NAME: UP reported as applied"; fi
  wait_gone "$VH_PID" 5 || fail "$CASE_NAME: the helper outlived openvpn"
  [ "$(links_in "$NS_VPN")" = "lo " ] || fail "$CASE_NAME: $NS_VPN holds: $(links_in "$NS_VPN")"
  [ -z "$(routes_in "$NS_VPN")" ] || fail "$CASE_NAME: routes in $NS_VPN: $(routes_in "$NS_VPN")"
  [ ! -e "/etc/netns/$NS_VPN" ] || fail "$CASE_NAME: DNS files written"
  [ "$(links_in "$NS_CLI")" = "lo veth0 " ] ||
    fail "$CASE_NAME: openvpn's namespace holds: $(links_in "$NS_CLI")"
  pass "$CASE_NAME: refused ($(reason)); openvpn stopped; $NS_VPN holds lo alone, no route, no DNS files"
}

# route_up_applied: ROUTE_UP went through; openvpn is connected; every route through tun0, exactly
# one default route per family.
route_up_applied() {
  is_running "$CLIENT_PID" || fail "$CASE_NAME: openvpn exited"
  grep -q 'Initialization Sequence Completed' "$WORK/client.log" ||
    fail "$CASE_NAME: openvpn did not finish connecting"
  grep -qF 'PLUGIN vpnns: ROUTE_UP: ' "$WORK/client.log" || fail "$CASE_NAME: ROUTE_UP not applied"
  if grep -qE 'PLUGIN vpnns: .*refused|route-up plugin call failed' "$WORK/client.log"; then
    fail "$CASE_NAME: a refusal: $(reason)"
  fi
  [ "$(links_in "$NS_VPN")" = "lo tun0 " ] || fail "$CASE_NAME: $NS_VPN holds: $(links_in "$NS_VPN")"
  only_through_tunnel
  [ "$(ip -n "$NS_VPN" -4 route show table main exact 0.0.0.0/0 | wc -l)" = 1 ] ||
    fail "$CASE_NAME: IPv4 default routes: $(default_routes)"
  [ "$(ip -n "$NS_VPN" -6 route show table main exact ::/0 | wc -l)" = 1 ] ||
    fail "$CASE_NAME: IPv6 default routes: $(default_routes)"
}

# expect_vpnns_routes LINE...: vpnns's routes are exactly these (any order).
expect_vpnns_routes() {
  local want have
  want=$(printf '%s\n' "$@" | sort)
  have=$(vpnns_routes | sort)
  [ "$have" = "$want" ] || fail "$CASE_NAME: vpnns routes differ; want:
$want
have:
$have"
}

# expect_resolv LINE...: resolv.conf (its comment aside) is exactly these lines, as an application
# in the namespace reads it; nsswitch.conf keeps lookups to files and dns.
expect_resolv() {
  local want have
  want=$(printf '%s\n' "$@")
  have=$(ip netns exec "$NS_VPN" grep -v '^#' /etc/resolv.conf) || fail "$CASE_NAME: no resolv.conf"
  [ "$have" = "$want" ] || fail "$CASE_NAME: resolv.conf in the namespace:
$have"
  ip netns exec "$NS_VPN" grep -qx "hosts:          files dns" /etc/nsswitch.conf ||
    fail "$CASE_NAME: nsswitch.conf hosts line"
}

# What the namespace holds when only the lib's standard pushes were applied.
STANDARD_ROUTES=(
  "default dev tun0 scope link"
  "203.0.113.0/24 via 192.0.2.1 dev tun0"
  "2001:db8:200::/48 via 2001:db8:100::1 dev tun0 metric 1024 pref medium"
  "default dev tun0 metric 1024 pref medium"
)
STANDARD_RESOLV=("nameserver 192.0.2.53" "nameserver 2001:db8:100::53" "search example.test")

# ===== Control: valid pushes only. The same assertions hold the other way round.
connect "control: valid routes and DNS" \
  'push "dhcp-option DNS 203.0.113.53"' \
  'push "dhcp-option DOMAIN-SEARCH corp.example.test"'
route_up_applied
expect_vpnns_routes "${STANDARD_ROUTES[@]}"
if ovpn_at_least 2 7; then
  # 2.7 turns the dhcp-options into its own server profile, IPv4 addresses first, and hands them
  # to vpnns-dns-updown.
  expect_resolv "nameserver 192.0.2.53" "nameserver 203.0.113.53" "nameserver 2001:db8:100::53" \
    "search example.test corp.example.test"
else
  expect_resolv "nameserver 192.0.2.53" "nameserver 2001:db8:100::53" "nameserver 203.0.113.53" \
    "search example.test corp.example.test"
fi
ip netns exec "$NS_VPN" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "control: no IPv4 ping"
ip netns exec "$NS_VPN" ping -6 -c 1 -W 3 2001:db8:100::1 >/dev/null || fail "control: no IPv6 ping"
pass "control: pushed routes and the default routes through tun0, resolv.conf with the pushed servers, ping works"
finish

# ===== 1. Routes via strange gateways. openvpn passes every one of these to the plugin as pushed
# (route_gateway_N / route_ipv6_gateway_N); it checks nothing about reachability.
connect "IPv4 route via a gateway off the tunnel" \
  'push "route 203.0.113.0 255.255.255.0 198.51.100.77"'
seen_env "route_gateway_2=198.51.100.77"
route_up_refused "203.0.113.0/24" "198.51.100.77" "not reachable through the tunnel"
no_trace 198.51.100.77
finish

connect "IPv6 route via a gateway off the tunnel" \
  'push "route-ipv6 2001:db8:300::/48 2001:db8:999::1"'
seen_env "route_ipv6_gateway_2=2001:db8:999::1"
route_up_refused "2001:db8:300::/48" "2001:db8:999::1" "not reachable through the tunnel"
no_trace 2001:db8:999::1 2001:db8:300::
finish

connect "IPv4 route via the tunnel subnet's broadcast address" \
  'push "route 203.0.113.0 255.255.255.0 192.0.2.255"'
seen_env "route_gateway_2=192.0.2.255"
route_up_refused "gateway 192.0.2.255" "broadcast"
no_trace 192.0.2.255
finish

connect "IPv6 route via a multicast gateway" \
  'push "route-ipv6 2001:db8:300::/48 ff02::1"'
seen_env "route_ipv6_gateway_2=ff02::1"
route_up_refused "gateway ff02::1" "not a unicast address"
no_trace ff02::1 2001:db8:300::
finish

# Routes around the tunnel, via the client host's own gateway (198.51.100.254, 2001:db8:1::fe):
# vpnns drops them with a warning (the namespace has no way out but the tunnel) and applies the
# rest. openvpn itself rejects "route-ipv6 ... net_gateway" ("must be a valid address") and hands
# nothing of it over; the literal IPv6 address of the host's gateway does reach vpnns.
connect "routes via the client host's gateway" \
  'push "route 203.0.113.64 255.255.255.192 net_gateway"' \
  'push "route-ipv6 2001:db8:300::/48 2001:db8:1::fe"' \
  'push "route-ipv6 2001:db8:301::/48 net_gateway"'
seen_env "route_gateway_2=198.51.100.254"
seen_env "route_ipv6_gateway_2=2001:db8:1::fe"
unseen_env "2001:db8:301::"
logged "route-ipv6 parameter gateway 'net_gateway' must be a valid address" ||
  fail "$CASE_NAME: openvpn did not reject route-ipv6 via net_gateway"
route_up_applied
logged "PLUGIN vpnns: " "203.0.113.64/26 via net_gateway 198.51.100.254 ignored" ||
  fail "$CASE_NAME: no warning for the IPv4 route via net_gateway"
logged "PLUGIN vpnns: " "2001:db8:300::/48 via net_gateway 2001:db8:1::fe ignored" ||
  fail "$CASE_NAME: no warning for the IPv6 route via the host's gateway"
expect_vpnns_routes "${STANDARD_ROUTES[@]}"
no_trace 198.51.100.254 2001:db8:1::fe 203.0.113.64 2001:db8:300:: 2001:db8:301::
expect_resolv "${STANDARD_RESOLV[@]}"
pass "$CASE_NAME: dropped with a warning, nothing via the host's gateway, the rest applied"
finish

# ===== 2. Zero-length and full-length prefixes: valid, installed exactly as pushed. The largest
# metric openvpn accepts (it parses metrics as int) comes along.
connect "/0, /32 and /128 prefixes, largest metric" \
  'push "route 0.0.0.0 0.0.0.0"' \
  'push "route 203.0.113.7 255.255.255.255"' \
  'push "route 203.0.113.128 255.255.255.128 vpn_gateway 2147483647"' \
  'push "route-ipv6 2001:db8:400::1/128"' \
  'push "route-ipv6 ::/0"'
seen_env "route_netmask_2=0.0.0.0"
seen_env "route_ipv6_network_3=::/0"
route_up_applied
# The pushed defaults (via the server's tunnel address) replace vpnns's own (dev tun0).
expect_vpnns_routes \
  "default via 192.0.2.1 dev tun0" \
  "203.0.113.0/24 via 192.0.2.1 dev tun0" \
  "203.0.113.7 via 192.0.2.1 dev tun0" \
  "203.0.113.128/25 via 192.0.2.1 dev tun0 metric 2147483647" \
  "2001:db8:200::/48 via 2001:db8:100::1 dev tun0 metric 1024 pref medium" \
  "2001:db8:400::1 via 2001:db8:100::1 dev tun0 metric 1024 pref medium" \
  "default via 2001:db8:100::1 dev tun0 metric 1024 pref medium"
expect_resolv "${STANDARD_RESOLV[@]}"
pass "$CASE_NAME: installed exactly, through tun0, one default route per family"
finish

connect "IPv4 route with host bits" 'push "route 203.0.113.7 255.255.255.0"'
seen_env "route_network_2=203.0.113.7"
route_up_refused "203.0.113.7" "host bits"
no_trace 203.0.113.7
finish

connect "IPv6 route with host bits" 'push "route-ipv6 2001:db8:400::1/64"'
seen_env "route_ipv6_network_2=2001:db8:400::1/64"
route_up_refused "2001:db8:400::1/64" "host bits"
no_trace 2001:db8:400::
finish

# A metric beyond int: openvpn refuses that route and then exports no IPv4 route at all (it sets
# route_* only when every route parsed), so vpnns sees none and keeps its own IPv4 default.
connect "IPv4 metric beyond openvpn's range" \
  'push "route 203.0.113.128 255.255.255.128 vpn_gateway 4294967295"'
logged "route metric for network 203.0.113.128 (4294967295) must be >= 0" ||
  fail "$CASE_NAME: openvpn did not reject the metric"
unseen_env "route_network_"
unseen_env "4294967295"
route_up_applied
expect_vpnns_routes "default dev tun0 scope link" \
  "2001:db8:200::/48 via 2001:db8:100::1 dev tun0 metric 1024 pref medium" \
  "default dev tun0 metric 1024 pref medium"
pass "$CASE_NAME: openvpn dropped the IPv4 routes; only the tunnel's defaults and the IPv6 route"
finish

# ===== 3. tun-mtu. A 2.6 server appends "tun-mtu <its own tun-mtu>" to every reply for a 2.6
# client (IV_MTU), after the configured pushes, so a 'push "tun-mtu N"' line is overridden; the
# hostile server sets its own tun-mtu instead. Where its own kernel would refuse that value (no
# IPv6 below 1280, no tun MTU above 65535) it leaves its own tun unconfigured (ifconfig-noexec):
# only the reply matters here. The client takes a pushed tun-mtu up to its tun-mtu-max (default
# 1600; 65536 at most) and clamps anything larger to it, with a warning.
connect "tun-mtu 1200 with IPv6" "tun-mtu 1200" "ifconfig-noexec"
logged "OPTIONS IMPORT: tun-mtu set to 1200" || fail "$CASE_NAME: openvpn did not take tun-mtu 1200"
up_refused "tun_mtu 1200" "1280"
finish

connect "tun-mtu 65535, client's default tun-mtu-max" "tun-mtu 65535"
logged "Server-pushed tun-mtu is too large" || fail "$CASE_NAME: openvpn did not clamp tun-mtu 65535"
seen_env "tun_mtu=1600"
route_up_applied
logged "PLUGIN vpnns: UP: tun0 moved" "mtu 1600" || fail "$CASE_NAME: UP did not apply mtu 1600"
ip -n "$NS_VPN" -o link show tun0 | grep -q " mtu 1600 " ||
  fail "$CASE_NAME: tun0: $(ip -n "$NS_VPN" -o link show tun0)"
expect_vpnns_routes "${STANDARD_ROUTES[@]}"
pass "$CASE_NAME: openvpn clamped it to 1600, which tun0 has"
finish

CLIENT_EXTRA=("tun-mtu-max 65536")
connect "tun-mtu 65535, client's tun-mtu-max 65536" "tun-mtu 65535"
seen_env "tun_mtu=65535"
route_up_applied
logged "PLUGIN vpnns: UP: tun0 moved" "mtu 65535" || fail "$CASE_NAME: UP did not apply mtu 65535"
ip -n "$NS_VPN" -o link show tun0 | grep -q " mtu 65535 " ||
  fail "$CASE_NAME: tun0: $(ip -n "$NS_VPN" -o link show tun0)"
expect_vpnns_routes "${STANDARD_ROUTES[@]}"
pass "$CASE_NAME: applied, tun0 has mtu 65535"
finish

CLIENT_EXTRA=("tun-mtu-max 65536")
# A 2.7 server refuses tun-mtu 70000 in its own configuration; a 2.6 one pushes it.
SERVER_26=1
connect "tun-mtu 70000, client's tun-mtu-max 65536" "tun-mtu 70000" "ifconfig-noexec"
if ovpn_at_least 2 7; then
  # 2.7 refuses the pushed value itself and keeps its own tun-mtu.
  logged "Options error: tun-mtu: Must be an integer between 100 and 65536, not 70000" ||
    fail "$CASE_NAME: openvpn 2.7 did not refuse tun-mtu 70000"
  logged "PLUGIN vpnns: UP: tun0 moved" "mtu 1500" || fail "$CASE_NAME: UP did not keep mtu 1500"
  pass "$CASE_NAME: openvpn $OPENVPN_VERSION refused it itself; tun0 keeps mtu 1500"
else
  logged "OPTIONS IMPORT: tun-mtu set to 70000" || fail "$CASE_NAME: openvpn did not take tun-mtu 70000"
  logged "Server-pushed tun-mtu is too large" || fail "$CASE_NAME: openvpn did not clamp tun-mtu 70000"
  up_refused "tun_mtu 65536" "65535"
fi
finish

# ===== 4. DNS garbage. On 2.6 openvpn hands pushed DNS to the plugin (foreign_option_N, and for
# --dns also dns_*); 2.7 hands it only to its dns-updown command, vpnns-dns-updown, where
# tests/e2e/hostile_dns_test.sh (e2e_hostile_dns_27) sends the same garbage and more.
if ovpn_at_least 2 7; then
  log "section 4 (DNS garbage): openvpn $OPENVPN_VERSION gives DNS only to dns-updown; e2e_hostile_dns_27 covers it"
else
# ===== 4. DNS garbage. Values go from the server's config through openvpn's own parsers twice
# (the server's config line, the client's reading of the reply); what is left is checked in the
# environment the plugin was handed.
connect "DOMAIN with a space (quoted)" "push \"dhcp-option DOMAIN 'evil domain'\""
seen_env "foreign_option_4=dhcp-option DOMAIN evil domain"
route_up_refused "'evil domain'" "not a DNS domain name"
no_trace evil
finish

connect "DOMAIN with a semicolon" 'push "dhcp-option DOMAIN evil.test;nameserver"'
seen_env "foreign_option_4=dhcp-option DOMAIN evil.test;nameserver"
route_up_refused "'evil.test;nameserver'" "not a DNS domain name"
no_trace evil
finish

# A ';' that starts a word starts a comment for openvpn: the client reads "dhcp-option DOMAIN"
# with no value, and hands that over.
connect "DOMAIN that is a comment" 'push "dhcp-option DOMAIN ;nameserver 198.51.100.66"'
seen_env "foreign_option_4=dhcp-option DOMAIN"
route_up_refused "foreign_option_4=''" "not a DNS domain name"
no_trace 198.51.100.66
finish

connect "DOMAIN with a double quote" 'push "dhcp-option DOMAIN evil\"quote.test"'
seen_env 'foreign_option_4=dhcp-option DOMAIN evil"quote.test'
route_up_refused "'evil\"quote.test'" "not a DNS domain name"
no_trace evil
finish

connect "DOMAIN with a single quote" "push \"dhcp-option DOMAIN it's.evil.test\""
seen_env "foreign_option_4=dhcp-option DOMAIN it's.evil.test"
route_up_refused "'it's.evil.test'" "not a DNS domain name"
no_trace evil
finish

# 600 characters, on the server's command line (a config line is limited to 256): the server
# already cuts every pushed option to 255 characters (print_argv's buffer), so 236 of them arrive.
LONG=$(printf 'x%.0s' {1..600})
SERVER_ARGV=(--push "dhcp-option DOMAIN $LONG")
connect "DOMAIN of 600 characters"
seen_env "foreign_option_4=dhcp-option DOMAIN ${LONG:0:236}"
route_up_refused "foreign_option_4='xxxxxxxx" "not a DNS domain name"
no_trace xxxxxxxx
finish

# A newline (only possible on the server's command line): the client throws the whole reply away
# ("Received control with invalid characters") and keeps asking; no UP, nothing in the namespace.
SERVER_ARGV=(--push $'dhcp-option DOMAIN "evil.test\nnameserver 198.51.100.66"')
connect "DOMAIN with a newline"
logged "WARNING: Received control with invalid characters" ||
  fail "$CASE_NAME: the client did not reject the reply"
is_running "$CLIENT_PID" || fail "$CASE_NAME: openvpn exited"
if grep -qF 'PLUGIN vpnns: UP' "$WORK/client.log"; then fail "$CASE_NAME: UP reached vpnns"; fi
[ "$(links_in "$NS_VPN")" = "lo " ] || fail "$CASE_NAME: $NS_VPN holds: $(links_in "$NS_VPN")"
[ -z "$(routes_in "$NS_VPN")" ] || fail "$CASE_NAME: routes: $(routes_in "$NS_VPN")"
[ ! -e "/etc/netns/$NS_VPN" ] || fail "$CASE_NAME: DNS files written"
pass "$CASE_NAME: openvpn threw the reply away; nothing reached vpnns or the namespace"
finish

# Unquoted spaces and extra words: openvpn's client rejects the option ("Unrecognized option or
# missing or extra parameter(s)") and hands nothing of it over; vpnns applies the valid rest.
connect "DOMAIN and DNS with extra words" \
  'push "dhcp-option DOMAIN evil domain"' \
  'push "dhcp-option DNS 192.0.2.53 198.51.100.66"'
[ "$(grep -c 'Unrecognized option or missing or extra parameter(s) in \[PUSH-OPTIONS\]:[0-9]*: dhcp-option' \
  "$WORK/client.log")" = 2 ] || fail "$CASE_NAME: openvpn did not reject both options"
unseen_env evil
unseen_env 198.51.100.66
route_up_applied
expect_vpnns_routes "${STANDARD_ROUTES[@]}"
expect_resolv "${STANDARD_RESOLV[@]}"
no_trace evil 198.51.100.66
pass "$CASE_NAME: openvpn dropped them; only the valid pushes applied"
finish

connect "DNS not an address" 'push "dhcp-option DNS not-an-address"'
seen_env "foreign_option_4=dhcp-option DNS not-an-address"
route_up_refused "'not-an-address'" "not an IP address"
no_trace not-an-address
finish

connect "DNS loopback" 'push "dhcp-option DNS 127.0.0.1"'
seen_env "foreign_option_4=dhcp-option DNS 127.0.0.1"
route_up_refused "DNS server 127.0.0.1" "not a unicast address"
no_trace 127.0.0.1
finish

connect "DNS multicast" 'push "dhcp-option DNS 224.0.0.251"'
seen_env "foreign_option_4=dhcp-option DNS 224.0.0.251"
route_up_refused "DNS server 224.0.0.251" "not a unicast address"
no_trace 224.0.0.251
finish

connect "DNS6 multicast" 'push "dhcp-option DNS6 ff02::fb"'
seen_env "foreign_option_4=dhcp-option DNS6 ff02::fb"
route_up_refused "DNS server ff02::fb" "not a unicast address"
no_trace ff02::fb
finish

connect "DNS6 IPv4-mapped" 'push "dhcp-option DNS6 ::ffff:192.0.2.53"'
seen_env "foreign_option_4=dhcp-option DNS6 ::ffff:192.0.2.53"
route_up_refused "DNS server ::ffff:192.0.2.53" "not a unicast address"
no_trace ::ffff:
finish

# openvpn 2.6's --dns: search domains are passed as dns_search_domain_N and again as
# foreign_option_N "dhcp-option DOMAIN-SEARCH"; openvpn checks neither.
connect "--dns search domain with a semicolon" 'push "dns search-domains good.test bad;name"'
seen_env "dns_search_domain_2=bad;name"
seen_env "foreign_option_5=dhcp-option DOMAIN-SEARCH bad;name"
route_up_refused "'bad;name'" "not a DNS domain name"
no_trace "bad;name" good.test
finish

connect "--dns server loopback" 'push "dns server 1 address 127.0.0.1"'
seen_env "dns_server_1_address_1=127.0.0.1"
route_up_refused "DNS server 127.0.0.1" "not a unicast address"
no_trace 127.0.0.1
finish

fi

pass "all $N cases in ${SECONDS}s"
