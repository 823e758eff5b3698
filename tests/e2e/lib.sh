# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared set-up for the end-to-end tests: throw-away namespaces joined by a veth pair, a
# throw-away PKI, and real openvpn processes (Debian's package, or OpenVPN 2.7: VPNNS_OPENVPN
# below) started in those namespaces.
#
# Topology (all addresses from the documentation ranges):
#
#   $NS_SRV  "the internet side"   veth 198.51.100.1/24 2001:db8:1::1/64   openvpn server
#      |
#   $NS_CLI  "the client's host"   veth 198.51.100.2/24 2001:db8:1::2/64   openvpn client
#      (plays the root namespace: openvpn runs here, and the plugin moves the tun out of it)
#   $NS_VPN  the protected namespace vpnns creates: lo + the tun, nothing else
#
#   tunnel 192.0.2.0/24 + 2001:db8:100::/64; the server pushes 203.0.113.0/24 and
#   2001:db8:200::/48 and DNS servers 192.0.2.53, 2001:db8:100::53.
#
# Everything a test creates is registered and removed by the EXIT trap, also when it fails:
# processes (by the PID we started), namespaces (with their /etc/netns files and the helper's
# marker), whatever at_exit hooks remove, the work directory. Test namespaces never get a route
# to anything outside the test.
set -euo pipefail

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${VPNNS_BUILD:-$E2E_ROOT/build}
PLUGIN=${VPNNS_PLUGIN:-$BUILD/plugin/vpnns.so}
HELPER=${VPNNS_HELPER:-$BUILD/helper/vpnns-helper}

# Which openvpn: VPNNS_OPENVPN names it (default `openvpn` on PATH: Debian's, the 2.6 line).
# The _27 twins of the tests (tests/CMakeLists.txt) set it to OpenVPN 2.7 (scripts/openvpn27)
# and VPNNS_OPENVPN_LINE=2.7, so that a missing or wrong binary fails the test instead of
# testing the other line twice. OPENVPN_VERSION is what the binary says (e.g. 2.7.6); every
# log line names it.
OPENVPN_PATH=${VPNNS_OPENVPN:-}
if [ -z "$OPENVPN_PATH" ] && [ -n "${VPNNS_OPENVPN_LINE:-}" ]; then
  echo "[${TEST_NAME:-e2e}] FAIL: this is the openvpn $VPNNS_OPENVPN_LINE run of the test, but no" \
    "openvpn $VPNNS_OPENVPN_LINE was configured: VPNNS_OPENVPN is empty (scripts/setup builds it" \
    "with scripts/openvpn27 and passes -DVPNNS_OPENVPN27=...; or cmake -DVPNNS_OPENVPN27=/path/to/sbin/openvpn)"
  exit 1
fi
OPENVPN_PATH=$(command -v "${OPENVPN_PATH:-openvpn}") || {
  echo "[${TEST_NAME:-e2e}] FAIL: openvpn '${VPNNS_OPENVPN:-openvpn}' not found"
  exit 1
}
OPENVPN_VERSION=$("$OPENVPN_PATH" --version 2>/dev/null | awk 'NR == 1 && $1 == "OpenVPN" {print $2}') || true
if [[ ! $OPENVPN_VERSION =~ ^[0-9]+\.[0-9]+ ]]; then
  echo "[${TEST_NAME:-e2e}] FAIL: $OPENVPN_PATH --version does not name an OpenVPN version"
  exit 1
fi
if [ -n "${VPNNS_OPENVPN_LINE:-}" ] && [[ $OPENVPN_VERSION != "$VPNNS_OPENVPN_LINE".* ]]; then
  echo "[${TEST_NAME:-e2e}] FAIL: this is the openvpn $VPNNS_OPENVPN_LINE run of the test, but" \
    "$OPENVPN_PATH is openvpn $OPENVPN_VERSION"
  exit 1
fi

# ovpn_at_least MAJOR MINOR: the openvpn under test is MAJOR.MINOR or newer.
ovpn_at_least() {
  local major=${OPENVPN_VERSION%%.*} minor=${OPENVPN_VERSION#*.}
  minor=${minor%%[!0-9]*}
  ((major > $1 || (major == $1 && minor >= $2)))
}

# How to run openvpn. With an ASan+UBSan build of vpnns.so (VPNNS_PRELOAD names the sanitizer
# runtimes), openvpn must load them first; openvpn's own leaks at exit are not ours.
OPENVPN=("$OPENVPN_PATH")
if [ -n "${VPNNS_PRELOAD:-}" ]; then
  OPENVPN=(env "LD_PRELOAD=$VPNNS_PRELOAD" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1" "$OPENVPN_PATH")
fi

# What each openvpn line needs in the tests' configurations (used by client_conf, server_conf
# and the tests that write their own):
#   2.7 runs its default dns-updown script whenever DNS servers are pushed and there is no --up
#   script (a plugin does not count); the tests' namespaces share the host's /etc, so that would
#   rewrite the host's /etc/resolv.conf. netns-mode clients hand DNS to vpnns's command
#   (VPNNS_DNS_UPDOWN, default vpnns-dns-updown next to the helper; script-security 2 lets
#   openvpn run it); seal-mode and plain clients and every server disable it.
#   persist-key: 2.7 always keeps keys and warns that the option is deprecated.
VPNNS_DNS_UPDOWN=${VPNNS_DNS_UPDOWN:-$(dirname "$HELPER")/vpnns-dns-updown}

# ovpn_lines ROLE: the lines for ROLE (netns: a netns-mode client; seal: a seal-mode or plain
# client; server), one per line, nothing if this openvpn needs none.
ovpn_lines() {
  ovpn_at_least 2 7 || return 0
  case $1 in
    netns) printf 'script-security 2\ndns-updown %s\n' "$VPNNS_DNS_UPDOWN" ;;
    seal | server) echo "dns-updown disable" ;;
    *) echo "ovpn_lines: unknown role '$1'" >&2 && return 1 ;;
  esac
}

# ovpn_persist_key: "persist-key" where openvpn still has the option (before 2.7).
ovpn_persist_key() { ovpn_at_least 2 7 || echo persist-key; }

ID=vt$$
NS_SRV=$ID-srv
NS_CLI=$ID-cli
NS_VPN=$ID-vpn
# Named after the test's pid like its namespaces, so that scripts/sweep can tell a killed run's.
WORK=$(mktemp -d "/tmp/vpnns-e2e-$ID.XXXXXX")
chmod 755 "$WORK"
# The host's DNS configuration as it was before a 2.7 test (scripts/hostdns-guard; named like
# the namespaces, so that scripts/sweep checks it if the test is killed).
HOSTDNS_GUARD=$E2E_ROOT/scripts/hostdns-guard
HOSTDNS_SAVED=""
STARTED_PIDS=()
CREATED_NS=()
EXIT_HOOKS=()
FAILED=0

log() { printf '[%s openvpn-%s] %s\n' "${TEST_NAME:-e2e}" "$OPENVPN_VERSION" "$*"; }

fail() {
  log "FAIL: $*"
  FAILED=1
  dump_logs
  exit 1
}

pass() { log "ok: $*"; }

dump_logs() {
  local f
  for f in "$WORK"/*.log; do
    [ -f "$f" ] || continue
    printf -- '--- %s (last 40 lines)\n' "$f"
    tail -n 40 "$f"
  done
}

cleanup() {
  local rc=$?
  local pid ns
  for pid in "${STARTED_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
  done
  for ns in "${CREATED_NS[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
    rm -f "/run/vpnns/netns/$ns"  # the helper's marker (state/netns_marker.h)
  done
  local hook
  for hook in "${EXIT_HOOKS[@]}"; do
    "$hook" || true
  done
  # Every openvpn (and dns-updown runner) is gone now: whatever its down scripts did is done.
  if [ -n "$HOSTDNS_SAVED" ] && ! "$HOSTDNS_GUARD" check "$HOSTDNS_SAVED"; then
    log "FAIL: openvpn $OPENVPN_VERSION changed the host's DNS configuration (see above; it was put back)"
    FAILED=1
    rc=1
  fi
  rm -rf "$WORK"
  if [ "$rc" -ne 0 ] && [ "$FAILED" -eq 0 ]; then
    log "FAIL: exited with status $rc"
    rc=1
  fi
  exit "$rc"
}
trap cleanup EXIT

log "openvpn $OPENVPN_VERSION ($OPENVPN_PATH${VPNNS_PRELOAD:+, sanitizer runtimes preloaded})"
if ovpn_at_least 2 7; then
  "$HOSTDNS_GUARD" save "/run/vpnns-test/hostdns/$ID" || fail "cannot record the host's DNS configuration"
  HOSTDNS_SAVED=/run/vpnns-test/hostdns/$ID
fi

# register_ns NAME: removed at exit (tests also register the namespace vpnns creates).
register_ns() { CREATED_NS+=("$1"); }

# forget PID: a process of ours that is gone leaves STARTED_PIDS (the EXIT trap must never signal
# a PID the system has handed to someone else since).
forget() {
  local p keep=()
  for p in "${STARTED_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  STARTED_PIDS=("${keep[@]}")
}

# at_exit FUNCTION: also run by the EXIT trap, after the processes and namespaces are gone
# (e.g. to remove test users and groups).
at_exit() { EXIT_HOOKS+=("$1"); }

# is_running PID: alive and not a zombie (an exited --daemon openvpn lingers as Z for a while).
is_running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null | tr -d ' ') || return 1
  [ -n "$state" ] && [ "${state:0:1}" != Z ]
}

# now_ms: a clock in milliseconds. $SECONDS is whole seconds, and a deadline of
# SECONDS+1 can come a moment after it was set; these waits promise full seconds.
now_ms() {
  local t=${EPOCHREALTIME/./}
  echo $((t / 1000))
}

# wait_gone PID SECONDS (SECONDS may be fractional, e.g. 0.5)
wait_gone() {
  local deadline=$(($(now_ms) + $(to_ms "$2")))
  while is_running "$1"; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# to_ms SECONDS: "1" → 1000, "0.5" → 500.
to_ms() {
  local whole=${1%%.*} frac=000
  [ "$whole" = "$1" ] || frac=${1#*.}000
  echo $((10#${whole:-0} * 1000 + 10#${frac:0:3}))
}

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
  local timeout=$1
  shift
  local deadline=$(($(now_ms) + $(to_ms "$timeout")))
  until "$@"; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}


in_ns() {
  local ns=$1
  shift
  nsenter --net="/run/netns/$ns" "$@"
}

setup_topology() {
  ip netns add "$NS_SRV"
  register_ns "$NS_SRV"
  ip netns add "$NS_CLI"
  register_ns "$NS_CLI"
  register_ns "$NS_VPN"
  ip -n "$NS_SRV" link add veth0 type veth peer name veth0 netns "$NS_CLI"
  ip -n "$NS_SRV" link set lo up
  ip -n "$NS_CLI" link set lo up
  ip -n "$NS_SRV" addr add 198.51.100.1/24 dev veth0
  ip -n "$NS_SRV" addr add 2001:db8:1::1/64 dev veth0 nodad
  ip -n "$NS_CLI" addr add 198.51.100.2/24 dev veth0
  ip -n "$NS_CLI" addr add 2001:db8:1::2/64 dev veth0 nodad
  ip -n "$NS_SRV" link set veth0 up
  ip -n "$NS_CLI" link set veth0 up
}

# make_pki [CN...]: a CA, a server and client certificates (CNs client, client2, client3 and any
# given; EC P-256, short-lived) under $WORK/pki.
make_pki() {
  local d=$WORK/pki
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj "/CN=vpnns test CA" -keyout ca.key -out ca.crt \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      2>/dev/null
    local who
    for who in server client client2 client3 "$@"; do
      local eku=clientAuth
      [ "$who" = server ] && eku=serverAuth
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
        -keyout "$who.key" -out "$who.csr" 2>/dev/null
      printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=%s\n' "$eku" \
        >"$who.ext"
      openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile "$who.ext" -out "$who.crt" 2>/dev/null
    done
    chmod 600 ./*.key
  )
}

# add_default_routes: the client's host gets default routes to a "router" address in the
# server's namespace (never beyond the test), so openvpn's redirect-gateway finds a net_gateway.
add_default_routes() {
  ip -n "$NS_SRV" addr add 198.51.100.254/24 dev veth0
  ip -n "$NS_SRV" addr add 2001:db8:1::fe/64 dev veth0 nodad
  ip -n "$NS_CLI" route add default via 198.51.100.254
  ip -n "$NS_CLI" -6 route add default via 2001:db8:1::fe
}

# How the server listens, and whom the client calls: tests may override before *_conf.
SERVER_ENDPOINT=${SERVER_ENDPOINT:-$'proto udp\nlocal 198.51.100.1'}
CLIENT_REMOTES=${CLIENT_REMOTES:-$'proto udp\nremote 198.51.100.1 1194'}
# What netns mode needs from openvpn; seal-mode tests clear it (openvpn then routes itself).
CLIENT_NETNS_LINES=${CLIENT_NETNS_LINES-$'ifconfig-noexec\nroute-noexec'}

# Whether server_conf pushes the standard DNS (three dhcp-options); 0: none.
SERVER_PUSH_DNS=${SERVER_PUSH_DNS:-1}

# server_conf [EXTRA LINES...]: writes $WORK/server.conf.
server_conf() {
  cat >"$WORK/server.conf" <<EOF
dev tun
$SERVER_ENDPOINT
port 1194
topology subnet
server 192.0.2.0 255.255.255.0
server-ipv6 2001:db8:100::/64
push "route 203.0.113.0 255.255.255.0"
push "route-ipv6 2001:db8:200::/48"
$([ "$SERVER_PUSH_DNS" = 0 ] || printf '%s\n' 'push "dhcp-option DNS 192.0.2.53"' \
  'push "dhcp-option DNS6 2001:db8:100::53"' 'push "dhcp-option DOMAIN example.test"')
keepalive 2 10
dh none
ca $WORK/pki/ca.crt
cert $WORK/pki/server.crt
key $WORK/pki/server.key
disable-dco
$(ovpn_lines server)
verb 3
log $WORK/server.log
EOF
  local line
  for line in "$@"; do printf '%s\n' "$line" >>"$WORK/server.conf"; done
}

# client_conf PLUGIN_ARGS [EXTRA LINES...]: writes $WORK/client.conf, the configuration the
# issue asks users to write: unprivileged, chrooted, persist-tun, noexec, no DCO.
client_conf() {
  local plugin_args=$1
  shift
  # openvpn 2.7 creates a file in its tmp-dir (/tmp, inside the jail after the chroot) at every
  # (re)connect for its dns-updown runner: the jail's /tmp must be writable by `user`.
  mkdir -p "$WORK/jail/tmp"
  chown nobody:nogroup "$WORK/jail/tmp"
  chmod 700 "$WORK/jail/tmp"
  local role=seal
  [[ " $plugin_args " != *" netns="* ]] || role=netns
  cat >"$WORK/client.conf" <<EOF
client
dev tun
$CLIENT_REMOTES
nobind
ca $WORK/pki/ca.crt
cert $WORK/pki/client.crt
key $WORK/pki/client.key
remote-cert-tls server
user nobody
group nogroup
chroot $WORK/jail
persist-tun
$(ovpn_persist_key)
disable-dco
$CLIENT_NETNS_LINES
$(ovpn_lines "$role")
connect-retry 1 1
verb 4
log-append $WORK/client.log
plugin $PLUGIN $plugin_args
EOF
  local line
  for line in "$@"; do echo "$line" >>"$WORK/client.conf"; done
}

# start_openvpn NS CONF: runs openvpn in namespace NS (nsenter, so the plugin's namespaces are
# created in the host's mount namespace); sets OPENVPN_PID.
start_openvpn() {
  local ns=$1 conf=$2
  nsenter --net="/run/netns/$ns" "${OPENVPN[@]}" --config "$conf" >/dev/null 2>&1 &
  OPENVPN_PID=$!
  STARTED_PIDS+=("$OPENVPN_PID")
}

start_server() {
  start_openvpn "$NS_SRV" "$WORK/server.conf"
  SERVER_PID=$OPENVPN_PID
  wait_for 10 grep -qs "Initialization Sequence Completed" "$WORK/server.log" ||
    fail "the server did not start"
}

start_client() {
  start_openvpn "$NS_CLI" "$WORK/client.conf"
  CLIENT_PID=$OPENVPN_PID
}

completions_at_least() {
  local n
  n=$(grep -c 'Initialization Sequence Completed' "$WORK/client.log" 2>/dev/null) || n=0
  [ "$n" -ge "$1" ]
}

# wait_connected [COUNT]: waits for the COUNT-th "Initialization Sequence Completed".
wait_connected() {
  local want=${1:-1}
  wait_for 20 completions_at_least "$want" || fail "the client did not connect (want $want completions)"
}

helper_pid() { pgrep -P "$1" -x vpnns-helper || true; }

# links_in NS: the link names in namespace NS, sorted, one line.
links_in() { ip -n "$1" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }

# routes_in NS: every IPv4 and IPv6 route of the main table (IPv6 link-local and multicast
# housekeeping routes filtered out), vpnns's protocol as "proto 86" whether or not
# /etc/iproute2/rt_protos.d names it (an installed vpnns does).
routes_in() {
  {
    ip -n "$1" -4 route show table main
    ip -n "$1" -6 route show table main | grep -v -e '^fe80::/64' -e '^multicast' || true
  } | sed -e 's/ *$//' -e 's/ proto vpnns\( \|$\)/ proto 86\1/'
}
