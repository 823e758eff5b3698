#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A hostile VPN server pushing `dns` options to an OpenVPN 2.7 client in netns mode, end to end.
#
# openvpn 2.7 hands pushed DNS only to its dns-updown command; vpnns's (vpnns-dns-updown) passes
# the dns_* values to the helper, and both check them (plugin/envp.cc parse_dns_options,
# helper/validate.cc validate_dns). The client runs as the README says for 2.7: user nobody, group
# nogroup, chroot, persist-tun, disable-dco, ifconfig-noexec, route-noexec, script-security 2,
# the plugin with dns=pin; dns-updown is vpnns-dns-updown behind a small observer that records
# what openvpn handed it (the dns vars file) before it runs (so the plugin warns, rightly, that
# this dns-updown is not vpnns's). A fresh server, client and protected namespace for every case:
# a reconnect to changed pushes is no way to change them mid-session, as openvpn then reopens the
# tun, which a chrooted openvpn cannot (PUSH_UPDATE is the way, tested with the netns tests).
#
# "Changes nothing": a dns-up vpnns refuses leaves the namespace exactly as a connection to which
# the server pushed no DNS at all (the baseline case, recorded first): the same links, addresses,
# routes, nft ruleset (the DNS pin table with no server) and files under /etc/netns/NS; none of
# the hostile values anywhere there; openvpn's own namespace as before the client started; and
# the host's /etc/resolv.conf unchanged (lib.sh). openvpn's log holds the refusal with its reason
# ("vpnns-dns-updown: refused ...") and "dns up command exited with status 1"; openvpn runs on.
#
# What openvpn 2.7 itself lets through to dns-updown (src/openvpn/dns.c, options.c
# check_dns_option, domain_helper.h validate_domain): addresses are numeric only but every kind
# (loopback, unspecified, broadcast, multicast, IPv4-mapped, inet_aton forms), at most 8 per
# server; ports 1-65535 only; transport plain/DoH/DoT and dnssec yes/no/optional only; domains
# (search-domains, resolve-domains, sni, dhcp-option DOMAIN/DOMAIN-SEARCH) of A-Z a-z 0-9 . - _
# and any byte >= 0x80 (so C1 control characters and UTF-8), with no check of their structure or
# length (but a server cuts every pushed option to 255 characters); any number of servers
# (priority 0-127) and domains; dhcp-option DNS/DNS6/DOMAIN/DOMAIN-SEARCH become dns_* values too
# (when no `dns server` is pushed). The control channel refuses C0 control characters and
# newlines before any of that. Cases of each kind below; those openvpn
# refuses itself are shown for what they are (its message, nothing of them in what it handed
# over). This test is for OpenVPN 2.7 and newer: it fails, not skips, on an older openvpn.
TEST_NAME=hostile_dns
source "$(dirname "$0")/lib.sh"
SERVER_PUSH_DNS=0  # the server pushes routes and whatever the case adds, no DNS otherwise

ovpn_at_least 2 7 ||
  fail "pushed 'dns' options reach a dns-updown command from OpenVPN 2.7 on; this is $OPENVPN_VERSION (set VPNNS_OPENVPN)"

setup_topology
add_default_routes
make_pki

CASES=$WORK/cases # logs of finished cases (dump_logs shows the current case's only)
mkdir -p "$CASES"
N=0
CASE_NAME=
SERVER_PID=
CLIENT_PID=
VH_PID=
SERVER_ARGV=()
JAIL=$WORK/jail

# The observer: openvpn runs its dns-updown command as root, either with the values in the
# environment or with a file's name (dns_vars_file, in openvpn's tmp-dir: on the host before the
# chroot, inside the jail after it). It copies them and execs vpnns-dns-updown (same pid, so the
# command finds its openvpn as before).
OBSERVER=$WORK/dns-updown-observer
cat >"$OBSERVER" <<EOF
#!/bin/sh
out=$WORK/dns.vars
if [ -n "\${dns_vars_file:-}" ]; then
  f=\$dns_vars_file
  [ -e "$JAIL\$f" ] && f="$JAIL\$f"
  cat "\$f" >>"\$out"
else
  env | grep -E '^(dev|script_type|dns_[a-z0-9_]*)=' >>"\$out"
fi
exec $VPNNS_DNS_UPDOWN
EOF
chmod 755 "$OBSERVER"

# ns_state NS: what a case may not change, normalised where connections differ by nature (the
# helper's pid in the DNS pin table's comment, address lifetimes; IPv6 link-local addresses come
# whenever the kernel's DAD is done).
ns_state() {
  local ns=$1 f
  echo "links: $(links_in "$ns")"
  ip -n "$ns" -o addr show | awk '$3 != "inet6" || $4 !~ /^fe80:/ {print $2, $3, $4}' | sort
  routes_in "$ns"
  in_ns "$ns" nft list ruleset | sed -E 's/(helper pid|pid) [0-9]+/\1 N/g'
  if [ -d "/etc/netns/$ns" ]; then
    for f in $(find "/etc/netns/$ns" -type f | sort); do
      echo "== ${f#/etc/netns/"$ns"/}"
      cat "$f"
    done
  fi
}

# The client has connected, has thrown the server's reply away, or has refused the pushed options
# (then it restarts, and keeps trying).
client_settled() {
  grep -qs -e 'Initialization Sequence Completed' -e 'Received control with invalid characters' \
    -e 'process-push-msg-failed' "$WORK/client.log" || ! is_running "$CLIENT_PID"
}


CLI_BEFORE=$(ns_state "$NS_CLI")

# connect NAME [SERVER LINES...]: a fresh server (server_conf with these lines, plus SERVER_ARGV on
# its command line) and a fresh client; waits until the client has connected, has exited, or has
# thrown the server's reply away.
connect() {
  CASE_NAME=$1
  shift
  N=$((N + 1))
  log "case $N: $CASE_NAME"
  server_conf "$@"
  VPNNS_DNS_UPDOWN=$OBSERVER client_conf "netns=$NS_VPN helper=$HELPER dns=pin instance=$ID"
  nsenter --net="/run/netns/$NS_SRV" "${OPENVPN[@]}" --config "$WORK/server.conf" \
    "${SERVER_ARGV[@]}" >/dev/null 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  wait_for 10 grep -qs "Initialization Sequence Completed" "$WORK/server.log" ||
    fail "$CASE_NAME: the server did not start"
  start_client
  wait_for 15 client_settled || fail "$CASE_NAME: the client neither connected nor stopped"
  VH_PID=$(sed -n 's/.*PLUGIN vpnns: helper pid \([0-9]*\) started.*/\1/p' "$WORK/client.log")
  [ -n "$VH_PID" ] || fail "$CASE_NAME: no helper pid in openvpn's log (the plugin did not start)"
  # The helper answers ROUTE_UP after Initialization Sequence Completed is logged.
  if grep -q 'Initialization Sequence Completed' "$WORK/client.log"; then
    wait_for 5 grep -qs -e 'PLUGIN vpnns: ROUTE_UP' -e 'route-up plugin call failed' "$WORK/client.log" ||
      fail "$CASE_NAME: no ROUTE_UP"
  fi
  SERVER_ARGV=()
}

# finish: SIGTERM to the client, then the server; the namespace must be left closed (lo alone, no
# route, no DNS files, no helper). Then the logs are filed away and the namespace is deleted.
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
  [ "$(ns_state "$NS_CLI")" = "$CLI_BEFORE" ] || fail "$CASE_NAME: openvpn's namespace changed:
$(diff <(echo "$CLI_BEFORE") <(ns_state "$NS_CLI"))"
  local f
  for f in client.log server.log dns.vars; do
    if [ -e "$WORK/$f" ]; then mv "$WORK/$f" "$CASES/$N.$f"; fi
  done
  ip netns del "$NS_VPN" 2>/dev/null || true
}

# logged FRAGMENT...: one line of openvpn's client log holds every FRAGMENT (fixed strings).
logged() {
  local lines f
  lines=$(grep -aF -- "$1" "$WORK/client.log") || return 1
  shift
  for f in "$@"; do lines=$(grep -aF -- "$f" <<<"$lines") || return 1; done
}

# seen_var LINE / unseen_var TEXT: what openvpn handed its dns-updown command at the dns-up.
seen_var() {
  grep -aqxF -- "$1" "$WORK/dns.vars" 2>/dev/null || fail "$CASE_NAME: openvpn did not hand over '$1'"
}
unseen_var() {
  if grep -aqF -- "$1" "$WORK/dns.vars" 2>/dev/null; then
    fail "$CASE_NAME: openvpn handed over '$1': $(grep -aF -- "$1" "$WORK/dns.vars")"
  fi
}

# The refusal as openvpn logged it, for the pass message (printable characters only).
reason() {
  grep -a 'vpnns-dns-updown: refused' "$WORK/client.log" | tail -n 1 |
    sed 's/.*vpnns-dns-updown: //' | LC_ALL=C tr -c '[:print:]\n' '?' | cut -c1-150
}

# no_trace TEXT...: TEXT appears neither in the namespace's state nor in anything under
# /etc/netns/NS.
no_trace() {
  local t
  for t in "$@"; do
    if ns_state "$NS_VPN" | grep -aqF -- "$t"; then
      fail "$CASE_NAME: '$t' in $NS_VPN: $(ns_state "$NS_VPN" | grep -aF -- "$t")"
    fi
  done
}

# as_baseline: the namespace is exactly as with no DNS pushed at all.
as_baseline() {
  local now
  now=$(ns_state "$NS_VPN")
  [ "$now" = "$BASELINE" ] || fail "$CASE_NAME: $NS_VPN differs from a connection without DNS:
$(diff <(echo "$BASELINE") <(echo "$now"))"
}

# connected_on: openvpn connected and runs on; ROUTE_UP applied.
connected_on() {
  is_running "$CLIENT_PID" || fail "$CASE_NAME: openvpn exited"
  grep -q 'Initialization Sequence Completed' "$WORK/client.log" ||
    fail "$CASE_NAME: openvpn did not finish connecting"
  grep -qF 'PLUGIN vpnns: ROUTE_UP: ' "$WORK/client.log" || fail "$CASE_NAME: ROUTE_UP not applied"
}

# dns_up_refused FRAGMENT...: the dns-up was refused with a reason holding every FRAGMENT, openvpn
# says the command failed and runs on, and the namespace is as without any DNS push.
dns_up_refused() {
  connected_on
  logged "vpnns-dns-updown: refused" "$@" ||
    fail "$CASE_NAME: no refusal naming '$*' in openvpn's log"
  grep -qF 'dns up command exited with status 1' "$WORK/client.log" ||
    fail "$CASE_NAME: openvpn does not report the failed dns-up"
  as_baseline
  pass "$CASE_NAME: refused ($(reason)); $NS_VPN as without DNS, openvpn runs on"
}

# dns_applied: the dns-up went through.
dns_applied() {
  connected_on
  if grep -qaF 'vpnns-dns-updown: refused' "$WORK/client.log"; then
    fail "$CASE_NAME: a refusal: $(reason)"
  fi
  grep -qF 'dns up command exited with status 0' "$WORK/client.log" ||
    fail "$CASE_NAME: the dns-up did not succeed"
}

# expect_resolv LINE...: resolv.conf (its comment aside) is exactly these lines.
expect_resolv() {
  local want have
  want=$(printf '%s\n' "$@")
  have=$(ip netns exec "$NS_VPN" grep -v '^#' /etc/resolv.conf) || fail "$CASE_NAME: no resolv.conf"
  [ "$have" = "$want" ] || fail "$CASE_NAME: resolv.conf in the namespace:
$have"
}

# expect_pinned ADDRESS...: the DNS pin lets exactly these servers through.
expect_pinned() {
  local a ruleset
  ruleset=$(in_ns "$NS_VPN" nft list table inet vpnns-dns) || fail "$CASE_NAME: no DNS pin table"
  for a in "$@"; do
    grep -qF -- "$a" <<<"$ruleset" || fail "$CASE_NAME: $a is not in the DNS pin: $ruleset"
  done
}

# openvpn_refused PATTERN: openvpn's client rejected a pushed option itself (its message matches
# the extended regex PATTERN).
openvpn_refused() {
  grep -aqE -- "$1" "$WORK/client.log" || fail "$CASE_NAME: openvpn did not reject it ('$1')"
}

# ===== Baseline: no DNS pushed. What every refused case must leave.
connect "baseline: no DNS pushed"
connected_on
BASELINE=$(ns_state "$NS_VPN")
grep -q '^nameserver' <<<"$BASELINE" && fail "baseline: a nameserver without any DNS push: $BASELINE"
pass "baseline: links $(links_in "$NS_VPN")/ $(routes_in "$NS_VPN" | wc -l) routes / DNS pin with no server / resolv.conf without nameserver"
finish

# ===== Control: valid `dns` pushes are applied (and the same assertions hold the other way).
connect "control: valid dns pushes" \
  'push "dns server 1 address 192.0.2.53 2001:db8:100::53"' \
  'push "dns server 1 resolve-domains example.test"' \
  'push "dns server 2 address 203.0.113.53:853"' \
  'push "dns server 2 transport DoT"' \
  'push "dns server 2 sni dot.example.test"' \
  'push "dns server 3 address 203.0.113.54:5353"' \
  'push "dns search-domains example.test corp.example.test"'
seen_var "dns_server_1_address_1=192.0.2.53"
seen_var "dns_server_2_sni=dot.example.test"
seen_var "dns_search_domain_2=corp.example.test"
dns_applied
expect_resolv "nameserver 192.0.2.53" "nameserver 2001:db8:100::53" "search example.test corp.example.test"
expect_pinned 192.0.2.53 2001:db8:100::53
logged "vpnns-dns-updown: warning:" "203.0.113.53" "DoT" || fail "$CASE_NAME: no warning for the DoT server"
logged "vpnns-dns-updown: warning:" "203.0.113.54" "port 5353" || fail "$CASE_NAME: no warning for port 5353"
no_trace 203.0.113.53 203.0.113.54
ip netns exec "$NS_VPN" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "control: no ping through the tunnel"
pass "$CASE_NAME: resolv.conf and the pin hold the plain servers; DoT and port 5353 left out with warnings"
finish

# never_connected PATTERN: openvpn's client refused the pushed options itself (its message matches
# the extended regex PATTERN) and restarts without a tunnel: nothing reached vpnns or the namespace.
never_connected() {
  openvpn_refused "$1"
  is_running "$CLIENT_PID" || fail "$CASE_NAME: openvpn exited"
  if grep -qF -e 'PLUGIN vpnns: UP' -e 'dns up command' "$WORK/client.log"; then
    fail "$CASE_NAME: the push reached vpnns"
  fi
  [ ! -e "$WORK/dns.vars" ] || fail "$CASE_NAME: openvpn ran its dns-updown command"
  [ "$(links_in "$NS_VPN")" = "lo " ] || fail "$CASE_NAME: $NS_VPN holds: $(links_in "$NS_VPN")"
  [ -z "$(routes_in "$NS_VPN")" ] || fail "$CASE_NAME: routes: $(routes_in "$NS_VPN")"
  [ ! -e "/etc/netns/$NS_VPN" ] || fail "$CASE_NAME: DNS files written"
}

# The 2.6 style on 2.7: openvpn makes dns_* values of dhcp-option DNS/DNS6/DOMAIN-SEARCH; without
# a DOMAIN it leaves dns_search_domain_1 unset and starts the list at _2.
connect "control: dhcp-option DNS, DNS6 and DOMAIN-SEARCH without DOMAIN" \
  'push "dhcp-option DNS 192.0.2.53"' 'push "dhcp-option DNS6 2001:db8:100::53"' \
  'push "dhcp-option DOMAIN-SEARCH a.example.test"' 'push "dhcp-option DOMAIN-SEARCH b.example.test"'
unseen_var "dns_search_domain_1="
seen_var "dns_search_domain_2=a.example.test"
dns_applied
expect_resolv "nameserver 192.0.2.53" "nameserver 2001:db8:100::53" "search a.example.test b.example.test"
expect_pinned 192.0.2.53 2001:db8:100::53
pass "$CASE_NAME: resolv.conf and the pin hold them"
finish

# ===== 1. Over-long lists. openvpn takes any number of servers (priorities 0-127) and of search
# and resolve domains; vpnns takes at most 8 DNS servers and 8 domains of each kind.
LINES=()
for k in 1 2 3 4 5 6 7 8 9; do LINES+=("push \"dns server $k address 192.0.2.$((100 + k))\""); done
connect "9 DNS servers" "${LINES[@]}"
seen_var "dns_server_9_address_1=192.0.2.109"
dns_up_refused "more than 8 DNS servers"
no_trace 192.0.2.101 192.0.2.109
finish

# Eight addresses are openvpn's own maximum per server: it refuses the ninth and keeps the first
# eight, which vpnns takes (resolv.conf lists them; the resolver uses the first three).
connect "9 addresses for one server" \
  "push \"dns server 1 address $(printf '192.0.2.%s ' 101 102 103 104 105 106 107 108 109)\""
openvpn_refused "--dns server 1: malformed address or maximum exceeded '192.0.2.109'"
seen_var "dns_server_1_address_8=192.0.2.108"
unseen_var "192.0.2.109"
dns_applied
EIGHT=()
for k in 1 2 3 4 5 6 7 8; do EIGHT+=("nameserver 192.0.2.$((100 + k))"); done
expect_resolv "${EIGHT[@]}"
pass "$CASE_NAME: openvpn dropped the ninth; the eight applied"
finish

connect "9 addresses over two servers" \
  "push \"dns server 1 address $(printf '192.0.2.%s ' 101 102 103 104 105 106 107 108)\"" \
  'push "dns server 2 address 2001:db8:100::53"'
seen_var "dns_server_1_address_8=192.0.2.108"
seen_var "dns_server_2_address_1=2001:db8:100::53"
dns_up_refused "more than 8 DNS servers"
no_trace 192.0.2.101 2001:db8:100::53
finish

connect "9 search domains" \
  'push "dns server 1 address 192.0.2.53"' \
  "push \"dns search-domains $(printf 's%s.example.test ' 1 2 3 4 5 6 7 8 9)\""
seen_var "dns_search_domain_9=s9.example.test"
dns_up_refused "more than 8 DNS search domains"
no_trace s1.example.test 192.0.2.53
finish

connect "9 resolve-domains" \
  'push "dns server 1 address 192.0.2.53"' \
  "push \"dns server 1 resolve-domains $(printf 'r%s.example.test ' 1 2 3 4 5 6 7 8 9)\""
seen_var "dns_server_1_resolve_domain_9=r9.example.test"
dns_up_refused "more than 8 resolve-domains for DNS server 1"
no_trace r1.example.test 192.0.2.53
finish

# The 2.6 style, on 2.7: dhcp-option DNS/DOMAIN/DOMAIN-SEARCH become dns_* values for the
# dns-updown command (openvpn keeps 10 DOMAIN-SEARCH and drops the 11th itself).
LINES=('push "dhcp-option DNS 192.0.2.53"' 'push "dhcp-option DOMAIN example.test"')
for k in 1 2 3 4 5 6 7 8 9 10 11; do LINES+=("push \"dhcp-option DOMAIN-SEARCH d$k.example.test\""); done
connect "dhcp-option DOMAIN and 11 DOMAIN-SEARCH" "${LINES[@]}"
openvpn_refused "--dhcp-option DOMAIN-SEARCH: maximum of 10 search entries can be specified"
seen_var "dns_search_domain_11=d10.example.test"
unseen_var "d11.example.test"
dns_up_refused "more than 8 DNS search domains"
no_trace example.test 192.0.2.53
finish

# ===== 2. Addresses. openvpn parses them as numeric addresses of any kind (and prints them in
# canonical form: an inet_aton number becomes a dotted quad); vpnns takes unicast ones only.
addr_case() {
  local pushed=$1 handed=$2
  connect "DNS server address $pushed" "push \"dns server 1 address $pushed\""
  seen_var "dns_server_1_address_1=$handed"
  dns_up_refused "DNS server $handed" "not a unicast address"
  no_trace "nameserver $handed"
  finish
}
addr_case 127.0.0.1 127.0.0.1
addr_case 2130706433 127.0.0.1
addr_case 0.0.0.0 0.0.0.0
addr_case 255.255.255.255 255.255.255.255
addr_case 224.0.0.251 224.0.0.251
addr_case ::1 ::1
addr_case :: ::
addr_case ff02::fb ff02::fb
addr_case ::ffff:192.0.2.53 ::ffff:192.0.2.53

# The same through dhcp-option DNS, converted by openvpn 2.7 into dns_server_0... values.
connect "dhcp-option DNS 127.0.0.1" 'push "dhcp-option DNS 127.0.0.1"'
seen_var "dns_server_1_address_1=127.0.0.1"
dns_up_refused "DNS server 127.0.0.1" "not a unicast address"
finish

# What openvpn's parser refuses: not an address (no name lookup), an address with a scope.
connect "DNS server address that is a name" \
  'push "dns server 1 address 192.0.2.53 dns.example.test"'
openvpn_refused "--dns server 1: malformed address or maximum exceeded 'dns.example.test'"
seen_var "dns_server_1_address_1=192.0.2.53"
unseen_var "dns.example.test"
dns_applied
expect_resolv "nameserver 192.0.2.53"
pass "$CASE_NAME: openvpn dropped the name; the valid address before it applied"
finish

# ===== 3. Ports. openvpn takes 1-65535 only; vpnns leaves out (with a warning) a server on any
# port but 53, which resolv.conf cannot express, and checks the value all the same.
for port in 0 99999 abc -1 ""; do
  connect "DNS server port '$port'" "push \"dns server 1 address 192.0.2.53 192.0.2.54:$port\""
  openvpn_refused "--dns server 1: malformed address or maximum exceeded '192.0.2.54:$port'"
  seen_var "dns_server_1_address_1=192.0.2.53"
  unseen_var "192.0.2.54"
  dns_applied
  expect_resolv "nameserver 192.0.2.53"
  pass "$CASE_NAME: openvpn dropped it; the valid address before it applied"
  finish
done

connect "DNS server ports 53 and 65535" \
  'push "dns server 1 address 192.0.2.53:53 [2001:db8:100::53]:65535"'
seen_var "dns_server_1_port_1=53"
seen_var "dns_server_1_port_2=65535"
dns_applied
expect_resolv "nameserver 192.0.2.53"
logged "vpnns-dns-updown: warning:" "2001:db8:100::53" "port 65535" ||
  fail "$CASE_NAME: no warning for port 65535"
no_trace 2001:db8:100::53
pass "$CASE_NAME: port 53 used, port 65535 left out with a warning"
finish

# ===== 4. transport, sni, dnssec. openvpn takes plain/DoH/DoT and yes/no/optional only; an sni
# is a "domain" to it (A-Z a-z 0-9 . - _ and bytes >= 0x80).
connect "transport DoQ" 'push "dns server 1 address 192.0.2.53"' 'push "dns server 1 transport DoQ"'
openvpn_refused "--dns server 1: malformed transport value 'DoQ'"
unseen_var "DoQ"
dns_applied
expect_resolv "nameserver 192.0.2.53"
pass "$CASE_NAME: openvpn dropped it; the server applied as plain"
finish

connect "dnssec maybe" 'push "dns server 1 address 192.0.2.53"' 'push "dns server 1 dnssec maybe"'
openvpn_refused "--dns server 1: malformed dnssec value 'maybe'"
unseen_var "maybe"
dns_applied
pass "$CASE_NAME: openvpn dropped it"
finish

# (Each value as written inside the server's push "...".)
for sni in "'dot example.test'" 'dot.example.test;reboot' 'dot\"quote.test' "'\$(reboot)'"; do
  connect "DoT with sni $sni" 'push "dns server 1 address 192.0.2.53"' \
    "push \"dns server 2 address 203.0.113.53\"" 'push "dns server 2 transport DoT"' \
    "push \"dns server 2 sni $sni\""
  openvpn_refused "--dns server 2: sni contains invalid characters"
  unseen_var "_sni="
  dns_applied
  expect_resolv "nameserver 192.0.2.53"
  pass "$CASE_NAME: openvpn dropped the sni; the DoT server left out with a warning"
  finish
done

sni_case() {
  local sni=$1 shown=$2
  connect "DoT with sni $shown" 'push "dns server 1 address 192.0.2.53"' \
    'push "dns server 2 address 203.0.113.53"' 'push "dns server 2 transport DoT"' \
    "${@:3}"
  seen_var "dns_server_2_sni=$sni"
  dns_up_refused "dns_server_2_sni=" "not a DNS name"
  no_trace 192.0.2.53 203.0.113.53
  finish
}
sni_case "dot..example.test" "with an empty label" 'push "dns server 2 sni dot..example.test"'
sni_case "." "'.'" 'push "dns server 2 sni ."'
sni_case $'dot\xc2\x9b31m.test' "with a C1 control character (CSI)" $'push "dns server 2 sni dot\xc2\x9b31m.test"'
LONG=$(printf 'x%.0s' {1..300})
SERVER_ARGV=(--push "dns server 2 sni $LONG")
sni_case "${LONG:0:238}" "of 300 characters (openvpn's server cuts it to 238)"

# ===== 5. Domains: search-domains and resolve-domains. openvpn refuses anything but
# A-Z a-z 0-9 . - _ and bytes >= 0x80, and checks neither labels nor lengths.
for d in 'bad;domain' "'a b'" 'evil\"quote.test' "'\$(reboot)'" "it's.test" 'a/b' 'a\\\\b' 'a@b'; do
  connect "search domain $d" 'push "dns server 1 address 192.0.2.53"' \
    "push \"dns search-domains $d\"" 'push "dns search-domains good.test"'
  openvpn_refused "--dns search-domains contain invalid characters"
  unseen_var "dns_search_domain_2"
  dns_applied
  expect_resolv "nameserver 192.0.2.53" "search good.test"
  pass "$CASE_NAME: openvpn dropped it; the rest applied"
  finish
done

connect "resolve-domains 'bad;domain'" 'push "dns server 1 address 192.0.2.53"' \
  'push "dns server 1 resolve-domains bad;domain"'
openvpn_refused "--dns server 1: resolve-domains contain invalid characters"
unseen_var "resolve_domain"
dns_applied
pass "$CASE_NAME: openvpn dropped it; the server applied"
finish

domain_case() {
  local what=$1 value=$2 shown=$3
  shift 3
  connect "$what $shown" 'push "dns server 1 address 192.0.2.53"' "$@"
  case $what in
    "search domain") seen_var "dns_search_domain_1=$value" ;;
    "resolve-domain") seen_var "dns_server_1_resolve_domain_1=$value" ;;
  esac
  dns_up_refused "not a DNS domain name"
  no_trace 192.0.2.53
  finish
}
domain_case "search domain" "a..b.test" "with an empty label" 'push "dns search-domains a..b.test"'
domain_case "search domain" "." "'.'" 'push "dns search-domains ."'
domain_case "search domain" ".leading.test" "with a leading dot" 'push "dns search-domains .leading.test"'
domain_case "search domain" "$(printf 'l%.0s' {1..64}).test" "with a label of 64 characters" \
  "push \"dns search-domains $(printf 'l%.0s' {1..64}).test\""
domain_case "search domain" $'\xc3\xa9vil.test' "in UTF-8" $'push "dns search-domains \xc3\xa9vil.test"'
domain_case "search domain" $'evil\xc2\x85nameserver.test' "with a C1 control character (NEL)" \
  $'push "dns search-domains evil\xc2\x85nameserver.test"'
domain_case "search domain" $'evil\x9b31m.test' "with a raw byte 0x9b" $'push "dns search-domains evil\x9b31m.test"'
domain_case "resolve-domain" "r..example.test" "with an empty label" \
  'push "dns server 1 resolve-domains r..example.test"'
domain_case "resolve-domain" $'r\xc2\x9b.test' "with a C1 control character (CSI)" \
  $'push "dns server 1 resolve-domains r\xc2\x9b.test"'
LONG=$(printf 'y%.0s' {1..300})
SERVER_ARGV=(--push "dns search-domains $LONG")
domain_case "search domain" "${LONG:0:236}" "of 300 characters (openvpn's server cuts it to 236)"
# dhcp-option DNS and DOMAIN, converted by openvpn 2.7 into dns_server_1_address_1 and
# dns_search_domain_1 (only when no `dns server` is pushed: then it drops them).
connect "search domain from dhcp-option DOMAIN, with an empty label" \
  'push "dhcp-option DNS 192.0.2.53"' 'push "dhcp-option DOMAIN a..b.test"'
seen_var "dns_server_1_address_1=192.0.2.53"
seen_var "dns_search_domain_1=a..b.test"
dns_up_refused "dns_search_domain_1='a..b.test'" "not a DNS domain name"
no_trace 192.0.2.53
finish

# dhcp-option DOMAIN-SEARCH without DOMAIN: openvpn 2.7 leaves dns_search_domain_1 (the DOMAIN's
# slot) unset and starts at _2; the hostile value there is refused all the same.
connect "dhcp-option DOMAIN-SEARCH without DOMAIN, with an empty label" \
  'push "dhcp-option DNS 192.0.2.53"' 'push "dhcp-option DOMAIN-SEARCH good.test"' \
  'push "dhcp-option DOMAIN-SEARCH a..b.test"'
unseen_var "dns_search_domain_1="
seen_var "dns_search_domain_3=a..b.test"
dns_up_refused "dns_search_domain_3='a..b.test'" "not a DNS domain name"
no_trace 192.0.2.53 good.test
finish

# ===== 6. Control characters and newlines (only possible on the server's command line): the
# client throws the whole reply away ("Received control with invalid characters") and keeps
# asking; nothing reaches the dns-updown command or the namespace.
for c in $'\n' $'\t' $'\r' $'\x1b'; do
  SERVER_ARGV=(--push "dns search-domains evil${c}nameserver.test")
  connect "search domain with control character $(printf '%q' "$c")"
  never_connected "Received control with invalid characters"
  pass "$CASE_NAME: openvpn threw the reply away; nothing reached vpnns or the namespace"
  finish
done

pass "all $N cases in ${SECONDS}s"
