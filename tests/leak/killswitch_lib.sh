# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # the constants are for the scripts that source this file
# The kill switch's leak world, on top of leak_lib.sh (and tests/e2e/lib.sh under it: namespaces,
# PKI, openvpn, the EXIT trap that removes everything). openvpn runs in seal mode in $NS_CLI,
# which plays the root namespace of a laptop or a router: redirect-gateway def1 pushed over a
# v4-only tunnel (IPv6 keeps its default route on the physical side), user nobody, chroot.
# Added to leak_lib.sh's server, LAN and rogue gateway:
#
#   $NS_LAN    also 192.168.77.2/24 fd77::2/64 (a private-range LAN host, allow-lan) and the LAN's
#              resolver on 203.0.113.1:53 (leak_dns: knows $REMOTE_NAME, openvpn's `remote`, and
#              logs every query it gets to $WORK/lan_dns.log); the client's lan0 192.168.77.1/24
#              fd77::1/64
#   $NS_ROGUE  LocalNet: the rogue network hands the client 203.0.113.130/25 on rogue0, so the
#              public 203.0.113.200 (its own, and reached through the tunnel's pushed
#              203.0.113.0/24 otherwise) is on-link; TunnelVision: a route for the tunnel's DNS
#              server 192.0.2.53/32 via the rogue gateway, as a DHCP option 121 would install
#   $NS_FWD    a host on a LAN that the client routes into the VPN: veth0 10.66.0.2/24
#              2001:db8:77::2/64, default routes via the client's fwd0 (10.66.0.1, 2001:db8:77::1);
#              the client forwards IPv4 and IPv6
#
# Counting: besides leak_lib.sh's `inet leakwatch` (probes, by port), every outer namespace
# (server, LAN, rogue) has `inet kswatch`, which counts everything that arrives from the client's
# link except what a kill switch must let through — UDP to port 1194 of the server's two
# addresses (openvpn's; anywhere else it is stray, and the probes send it), openvpn's own lookups of
# $REMOTE_NAME ("remote_lookup", matched in the query itself), DHCPv4 and DHCPv6 ("dhcp",
# "dhcp6"), IPv6 router and neighbour solicitations and advertisements and MLD reports — as
# "stray", and replies from the client's inbound test port as "inbound_reply". A "no leak" check
# requires every outside and stray counter to stand still; these are the test's own counters in
# its own namespaces, never the product's.
#
# (No `... | grep -q` in these scripts: under pipefail, grep -q leaving at the first match gives
# the writer SIGPIPE and the pipeline a failure — a check that fails at random. grep >/dev/null.)
source "$(dirname "${BASH_SOURCE[0]}")/leak_lib.sh"

CTL=${VPNNS_CTL:-$BUILD/ctl/vpnnsctl}
LEAK_DNS=${VPNNS_LEAK_DNS:-$BUILD/tests/leak/leak_dns}
NS_FWD=$ID-fwd
# Named like the namespaces, so that scripts/sweep removes a killed run's state file.
INST=$ID-k
KS_TABLE=vpnns-ks-$INST
REMOTE_NAME=vpnks.example.test
# The server's second address (killswitch_life_test.sh: the LAN's resolver answers it after a
# while, as a round robin would).
SERVER2=198.51.100.11
LOCALNET_DST=203.0.113.200
PRIV_LAN=192.168.77.2
PRIV_LAN6=fd77::2
FWD_HOST=10.66.0.2
INBOUND_PORT=2222
# Destinations outside the tunnel that an application must never reach with the kill switch on:
# the server's underlay (over the exception route), the LAN's router and the rogue gateway, over
# IPv4 and IPv6 (the tunnel has no IPv6).
OUT4=("$SERVER" "$LAN_DNS" "$ROGUE_GW")
OUT6=(2001:db8:1::1 2001:db8:10::1 2001:db8:66::1)

ks_state_files() { rm -f "/run/vpnns/$INST.json" "/run/vpnns/.$INST.json.tmp"; }
at_exit ks_state_files

# kswatch NS: the stray counter table of an outer namespace (see the header).
kswatch() {
  in_ns "$1" nft -f - <<EOF
table inet kswatch {
  counter stray { }
  counter remote_lookup { }
  counter dhcp { }
  counter dhcp6 { }
  counter inbound_reply { }
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    iifname != "veth0" return
    udp dport 53 @th,160,48 0x0576706e6b73 counter name "remote_lookup" return
    udp sport 68 udp dport 67 counter name "dhcp" return
    udp sport 546 udp dport 547 counter name "dhcp6" return
    ip daddr { $SERVER, $SERVER2 } udp dport 1194 return
    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } return
    tcp sport $INBOUND_PORT counter name "inbound_reply" return
    counter name "stray"
  }
}
EOF
}

setup_killswitch_topology() {
  setup_leak_topology
  add_default_routes
  local ns
  for ns in "$NS_SRV" "$NS_LAN" "$NS_ROGUE"; do kswatch "$ns"; done
  # openvpn's own lookups of its remote are not a leak: leakwatch skips them too.
  in_ns "$NS_LAN" nft insert rule inet leakwatch pre udp dport 53 @th,160,48 0x0576706e6b73 return
  # allow-lan: a private LAN host.
  ip -n "$NS_LAN" addr add "$PRIV_LAN/24" dev veth0
  ip -n "$NS_LAN" addr add "$PRIV_LAN6/64" dev veth0 nodad
  ip -n "$NS_CLI" addr add 192.168.77.1/24 dev lan0
  ip -n "$NS_CLI" addr add fd77::1/64 dev lan0 nodad
  # LocalNet and TunnelVision (see the header).
  ip -n "$NS_ROGUE" addr add "$LOCALNET_DST/25" dev veth0
  ip -n "$NS_CLI" addr add 203.0.113.130/25 dev rogue0
  ip -n "$NS_CLI" route add "$PUSHED_DNS/32" via "$ROGUE_GW" dev rogue0
  # The routed LAN.
  ip netns add "$NS_FWD"
  register_ns "$NS_FWD"
  ip -n "$NS_FWD" link set lo up
  ip -n "$NS_CLI" link add fwd0 type veth peer name veth0 netns "$NS_FWD"
  ip -n "$NS_CLI" addr add 10.66.0.1/24 dev fwd0
  ip -n "$NS_CLI" addr add 2001:db8:77::1/64 dev fwd0 nodad
  ip -n "$NS_FWD" addr add "$FWD_HOST/24" dev veth0
  ip -n "$NS_FWD" addr add 2001:db8:77::2/64 dev veth0 nodad
  ip -n "$NS_CLI" link set fwd0 up
  ip -n "$NS_FWD" link set veth0 up
  ip -n "$NS_FWD" route add default via 10.66.0.1
  ip -n "$NS_FWD" -6 route add default via 2001:db8:77::1
  in_ns "$NS_CLI" sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  # The LAN's resolver.
  [ -x "$LEAK_DNS" ] || fail "$LEAK_DNS is missing (build the leak_dns target)"
  lan_dns_answers "$SERVER"
  # openvpn's and the applications' /etc: resolv.conf names the LAN's resolver (leak_lib.sh).
  HOSTNS_ETC_NETNS=0 start_host_mountns
  grep -q "$REMOTE_NAME" /etc/hosts && fail "/etc/hosts knows $REMOTE_NAME"
  in_host getent ahostsv4 "$REMOTE_NAME" | grep "^$SERVER " >/dev/null ||
    fail "the LAN resolver does not resolve $REMOTE_NAME"
}

# lan_dns_answers IPV4: (re)starts the LAN's resolver, answering $REMOTE_NAME with IPV4; its log
# goes on in $WORK/lan_dns.log.
LAN_DNS_PID=""
lan_dns_answers() {
  if [ -n "$LAN_DNS_PID" ]; then
    kill -TERM "$LAN_DNS_PID" 2>/dev/null || true
    wait "$LAN_DNS_PID" 2>/dev/null || true
    forget "$LAN_DNS_PID"
  fi
  local n
  n=$(grep -c "^listening" "$WORK/lan_dns.log" 2>/dev/null) || n=0
  (exec nsenter --net="/run/netns/$NS_LAN" -- "$LEAK_DNS" "$LAN_DNS" "$REMOTE_NAME" "$1" \
    >>"$WORK/lan_dns.log" 2>&1) &
  LAN_DNS_PID=$!
  STARTED_PIDS+=("$LAN_DNS_PID")
  listening() { [ "$(grep -c "^listening" "$WORK/lan_dns.log")" -gt "$n" ]; }
  wait_for 5 listening || fail "the LAN resolver did not start: $(cat "$WORK/lan_dns.log")"
}

# dns_queries NAME: queries for NAME the LAN's resolver has received so far.
dns_queries() { grep -c "^query ${1%.}\. " "$WORK/lan_dns.log" || true; }

# The client: seal mode, `remote` a host name only the LAN's resolver knows.
CLIENT_NETNS_LINES=""
CLIENT_REMOTES=$'proto udp\nremote '"$REMOTE_NAME"$' 1194'
KS_CLIENT_LINES=()
LOG_MARK=0

# ks_conf PLUGIN_ARGS: client.conf with `helper=... instance=$INST PLUGIN_ARGS`, and the jail's
# resolv.conf (openvpn resolves its remote again inside the chroot at a reconnect).
ks_conf() {
  client_conf "helper=$HELPER instance=$INST $1" "${KS_CLIENT_LINES[@]}"
  mkdir -p "$WORK/jail/etc"
  printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$LAN_DNS" >"$WORK/jail/etc/resolv.conf"
}

# ks_launch PLUGIN_ARGS: openvpn in the client's namespace and the host mount namespace; sets
# CLIENT_PID and LOG_MARK (the log's length before it started: log_since reads after it).
ks_launch() {
  ks_conf "$1"
  LOG_MARK=$(wc -l <"$WORK/client.log" 2>/dev/null || echo 0)
  (exec nsenter --mount="/proc/$HOSTNS_PID/ns/mnt" --net="/run/netns/$NS_CLI" -- \
    "${OPENVPN[@]}" --config "$WORK/client.conf" >/dev/null 2>&1) &
  CLIENT_PID=$!
  STARTED_PIDS+=("$CLIENT_PID")
}

# ks_start PLUGIN_ARGS: ks_launch and wait for the connection.
ks_start() {
  local n t0
  t0=$(now_ms)
  n=$(grep -c 'Initialization Sequence Completed' "$WORK/client.log" 2>/dev/null) || n=0
  ks_launch "$1"
  wait_connected $((n + 1))
  log "openvpn $CLIENT_PID connected with '$1' in $(($(now_ms) - t0)) ms"
}

# ks_stop [SIGNAL]: stops the client (default SIGTERM) and waits for it and its helper.
ks_stop() {
  local helper
  helper=$(helper_pid "$CLIENT_PID")
  kill "-${1:-TERM}" "$CLIENT_PID" 2>/dev/null || true
  wait_gone "$CLIENT_PID" 10 || fail "openvpn $CLIENT_PID did not exit on SIG${1:-TERM}"
  [ -z "$helper" ] || wait_gone "$helper" 3 || fail "the helper $helper outlived openvpn"
  forget "$CLIENT_PID"
}

# log_since: openvpn's log since the last ks_launch.
log_since() { tail -n +"$((LOG_MARK + 1))" "$WORK/client.log"; }

ks_table() { in_ns "$NS_CLI" nft list table inet "$KS_TABLE" 2>/dev/null; }
ks_table_present() { ks_table >/dev/null; }
ks_table_absent() { ! ks_table_present; }

# --- counting (see the header)

# snap: every counter of the outer namespaces, one "NS.NAME PACKETS" per line.
snap() {
  local ns
  for ns in srv lan rogue; do
    local var=NS_${ns^^}
    in_ns "${!var}" nft list counters | awk -v ns="$ns" '$1 == "counter" {n = $2} $1 == "packets" {print ns "." n, $2}'
  done
}

# delta BEFORE AFTER: "NS.NAME +N" for every counter that moved.
delta() {
  awk 'NR == FNR {b[$1] = $2; next} $2 != b[$1] {printf "%s +%d\n", $1, $2 - b[$1]}' \
    <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# moved DELTA NAME: how far counter NAME moved (0 if not).
moved() { awk -v n="$2" '$1 == n {sub(/^\+/, "", $2); print $2; f = 1} END {if (!f) print 0}' <<<"$1"; }

# leaks DELTA: the outside and stray counters that moved (nothing: no leak).
leaks() { grep -E '\.(outside|stray|lan_dns|rogue_dns) ' <<<"$1" | tr '\n' ' ' || true; }

# expect_no_leak WHAT DELTA
expect_no_leak() {
  local l
  l=$(leaks "$2")
  [ -z "$l" ] || fail "LEAK: $1: $l"
}

# expect_moved WHAT DELTA NAME MIN: the control saw at least MIN packets on NAME.
expect_moved() {
  local n
  n=$(moved "$2" "$3")
  [ "$n" -ge "$4" ] ||
    fail "control: $1: $3 moved by $n, expected at least $4 (all moved: $(tr '\n' ' ' <<<"$2")) — the reproduction is broken"
}

# Lets packets in flight land before a counter is read (a veth delivers at once; the probes
# themselves run 0.3 s, the first packet leaving at their start).
settle() { sleep 0.1; }

# probe_cmd DEST...: UDP to ports 9999 and 1194 (openvpn's, which a kill switch must not open to
# anyone else), a TCP connection to port 80 and an ICMP echo request to
# every DEST, all at once, each given 0.3 s (the first packet leaves at once; what matters is
# where it goes, not whether an answer comes); prints what the sends met.
probe_cmd() {
  local d out=""
  for d in "$@"; do
    out+="(echo leak-probe >/dev/udp/$d/9999) 2>&1 & (echo leak-probe >/dev/udp/$d/1194) 2>&1 &"
    out+="(timeout 0.3 bash -c 'echo >/dev/tcp/$d/80') 2>&1 &"
    out+="ping -n -c 1 -W 0.3 $d 2>&1 >/dev/null & "
  done
  printf '%s wait' "$out"
}

# app_probe DEST...: probe_cmd as an application (uid $APP_UID) on the client's host.
app_probe() { app_sh "$(probe_cmd "$@")"; }

# app_sh SCRIPT: a shell script as the application.
app_sh() { in_ns "$NS_CLI" setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups bash -c "$1" 2>&1 || true; }

# window COMMAND...: runs COMMAND, lets its packets land; DELTA is what the counters did,
# OUT what COMMAND printed.
window() {
  local before
  before=$(snap)
  OUT=$("$@" 2>&1) || true
  settle
  DELTA=$(delta "$before" "$(snap)")
}

# refused OUT MIN: at least MIN sends failed locally with "Operation not permitted" (an nft drop
# in the output path answers a UDP sender with EPERM: the packet was made and stopped here; ping
# and TCP's connect do not say so).
refused() {
  local n
  n=$(grep -c 'Operation not permitted' <<<"$1" || true)
  [ "$n" -ge "$2" ] || fail "only $n of the application's sends were refused locally, expected $2: $1"
}

tun_addr() { ip -n "$NS_CLI" -4 -o addr show dev tun0 | awk '{split($4, a, "/"); print a[1]}'; }
tun_tx_cli() { ip -n "$NS_CLI" -s -j link show tun0 | jq '.[0].stats64.tx.packets'; }
