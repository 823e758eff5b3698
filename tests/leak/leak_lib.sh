# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # the constants and SENDER_PID are for the scripts that source this file
# The leak matrix's world, on top of tests/e2e/lib.sh (sourced: namespaces, PKI, openvpn, the
# EXIT trap that removes everything). It adds what an attacker would look at:
#
#   $NS_SRV    the VPN server and "the internet" beyond it: veth0 198.51.100.1/24 2001:db8:1::1/64,
#              on lo 192.0.2.53 (the DNS server the VPN pushes, reached through the tunnel) and
#              198.51.100.66 (an attacker's DNS server, reached through the tunnel's exit)
#   $NS_LAN    the client's LAN: veth0 203.0.113.1/26 2001:db8:10::1/64 (router and resolver)
#   $NS_ROGUE  a rogue gateway: veth0 203.0.113.65/26 2001:db8:66::1/64
#   $NS_CLI    the client's host, openvpn runs here; its physical side is veth0 (to the server),
#              lan0 203.0.113.2/26 2001:db8:10::2/64 and rogue0 203.0.113.66/26 2001:db8:66::2/64
#   $NS_VPN    the protected namespace (netns mode)
#
# Every path out of the client's physical side ends in an outer namespace with a counter table,
# `inet leakwatch`, at the first hook a packet meets (prerouting, priority raw): "outside" counts
# what arrives over the link from the client that looks like the protected applications' probes
# (UDP or TCP to ports 53, 80, 853, 9999, ICMP and ICMPv6 echo requests) — openvpn's own UDP
# 1194 and the kernel's neighbour discovery are not probes. The server also counts probes that
# come out of the tunnel ("tunnel": proof that a probe was really sent), queries to the attacker's
# server by any way in ("attacker") and to the pushed one ("pushed"); the LAN counts queries to its
# resolver ("lan_dns"), the rogue gateway queries for the tunnel's DNS server ("rogue_dns").
#
# A leak class is a function run by run_class: in a subshell, so that one class failing is
# reported and the next still runs; each prints its own PASS/FAIL line and the summary repeats
# them. Each class first sends its probe from an unprotected place and requires the counter to
# see it (a broken counter cannot pass), then from the protected application and requires zero.
#
# "The host's /etc" is never the real one: start_host_mountns makes a private mount namespace
# whose /etc is an overlay of the real one with its writes in a tmpfs (so nothing reaches the
# real /etc), with the real /etc/netns inside (the helper writes there), and a resolv.conf that
# names the LAN resolver. Files there are only ever replaced by rename, never written through
# an existing path (which could be a symlink out of the overlay).
TEST_NAME=${TEST_NAME:-leak}
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

NS_LAN=$ID-lan
NS_ROGUE=$ID-rogue
APP_UID=4242
PROBE_NAME=leak-probe.example.test.
LAN_DNS=203.0.113.1
ROGUE_GW=203.0.113.65
PUSHED_DNS=192.0.2.53
ATTACKER_DNS=198.51.100.66
SERVER=198.51.100.1
RESULTS=()
CLASS_FAILURES=0
CLASS_PIDS=()

# leak_counters NS IFNAME [EXTRA RULES...]: the counter table of an outer namespace.
leak_counters() {
  local ns=$1 link=$2
  shift 2
  {
    cat <<EOF
table inet leakwatch {
  set probe_ports { type inet_service; elements = { 53, 80, 853, 9999 } }
  counter outside { }
  counter tunnel { }
  counter attacker { }
  counter pushed { }
  counter lan_dns { }
  counter rogue_dns { }
  chain pre {
    type filter hook prerouting priority raw; policy accept;
EOF
    local rule
    for rule in "$@"; do echo "    $rule"; done
    cat <<EOF
    iifname "$link" meta l4proto { tcp, udp } th dport @probe_ports counter name "outside"
    iifname "$link" icmp type echo-request counter name "outside"
    iifname "$link" icmpv6 type echo-request counter name "outside"
  }
}
EOF
  } | in_ns "$ns" nft -f -
}

# counter NS NAME: packets counted so far.
counter() { in_ns "$1" nft list counter inet leakwatch "$2" | awk '/packets/{print $2}'; }

# outside_all: the "outside" counters of every outer namespace, as "srv lan rogue".
outside_all() { echo "$(counter "$NS_SRV" outside) $(counter "$NS_LAN" outside) $(counter "$NS_ROGUE" outside)"; }

setup_leak_topology() {
  setup_topology
  ip netns add "$NS_LAN"
  register_ns "$NS_LAN"
  ip netns add "$NS_ROGUE"
  register_ns "$NS_ROGUE"
  local ns
  for ns in "$NS_LAN" "$NS_ROGUE"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_CLI" link add lan0 type veth peer name veth0 netns "$NS_LAN"
  ip -n "$NS_CLI" link add rogue0 type veth peer name veth0 netns "$NS_ROGUE"
  ip -n "$NS_CLI" addr add 203.0.113.2/26 dev lan0
  ip -n "$NS_CLI" addr add 2001:db8:10::2/64 dev lan0 nodad
  ip -n "$NS_LAN" addr add "$LAN_DNS/26" dev veth0
  ip -n "$NS_LAN" addr add 2001:db8:10::1/64 dev veth0 nodad
  ip -n "$NS_CLI" addr add 203.0.113.66/26 dev rogue0
  ip -n "$NS_CLI" addr add 2001:db8:66::2/64 dev rogue0 nodad
  ip -n "$NS_ROGUE" addr add "$ROGUE_GW/26" dev veth0
  ip -n "$NS_ROGUE" addr add 2001:db8:66::1/64 dev veth0 nodad
  ip -n "$NS_SRV" addr add "$PUSHED_DNS/32" dev lo
  ip -n "$NS_SRV" addr add "$ATTACKER_DNS/32" dev lo
  for ns in "$NS_LAN" "$NS_ROGUE"; do ip -n "$ns" link set veth0 up; done
  ip -n "$NS_CLI" link set lan0 up
  ip -n "$NS_CLI" link set rogue0 up

  leak_counters "$NS_SRV" veth0 \
    "ip daddr $ATTACKER_DNS meta l4proto { tcp, udp } th dport { 53, 853 } counter name \"attacker\"" \
    "ip daddr $PUSHED_DNS meta l4proto { tcp, udp } th dport 53 counter name \"pushed\"" \
    "iifname \"tun0\" meta l4proto { tcp, udp } th dport @probe_ports counter name \"tunnel\"" \
    "iifname \"tun0\" icmp type echo-request counter name \"tunnel\""
  leak_counters "$NS_LAN" veth0 "ip daddr $LAN_DNS udp dport 53 counter name \"lan_dns\""
  leak_counters "$NS_ROGUE" veth0 "ip daddr $PUSHED_DNS udp dport 53 counter name \"rogue_dns\""
}

# server_conf_v4only [EXTRA LINES...]: lib.sh's server without IPv6 inside the tunnel (the
# underlay keeps its IPv6 addresses).
server_conf_v4only() {
  server_conf "$@"
  sed -i -e '/^server-ipv6 /d' -e '/route-ipv6/d' -e '/DNS6/d' "$WORK/server.conf"
  ! grep -qi ipv6 "$WORK/server.conf" || fail "the v4-only server configuration still has IPv6"
}

# --- the host's mount namespace (see the header)

# With HOSTNS_ETC_NETNS=0 (seal mode: the helper writes nothing there) /etc/netns is not bound in
# and need not exist.
start_host_mountns() {
  local etc_netns=${HOSTNS_ETC_NETNS:-1}
  [ "$etc_netns" = 0 ] || [ -d /etc/netns ] ||
    fail "/etc/netns does not exist yet (start it after the first connect)"
  local dir=$WORK/hostns
  mkdir -p "$dir"
  rm -f "$WORK/hostns.ready"
  unshare --mount --propagation slave -- bash -c '
    set -e
    dir=$1 lan=$2 ready=$3 etc_netns=$4
    mount -t tmpfs vpnns-leak "$dir"
    mkdir "$dir/upper" "$dir/work" "$dir/netns"
    [ "$etc_netns" = 0 ] || mount --bind /etc/netns "$dir/netns"
    mount -t overlay vpnns-leak -o "lowerdir=/etc,upperdir=$dir/upper,workdir=$dir/work" /etc
    [ "$etc_netns" = 0 ] || mount --bind "$dir/netns" /etc/netns
    printf "nameserver %s\noptions timeout:1 attempts:1\n" "$lan" >/etc/resolv.conf.vpnns-new
    mv -T /etc/resolv.conf.vpnns-new /etc/resolv.conf
    : >"$ready"
    exec setpriv --pdeathsig KILL sleep 600' _ "$dir" "$LAN_DNS" "$WORK/hostns.ready" "$etc_netns" &
  HOSTNS_PID=$!
  STARTED_PIDS+=("$HOSTNS_PID")
  wait_for 5 test -e "$WORK/hostns.ready" || fail "the host mount namespace did not come up"
  [ "$(in_host cat /etc/resolv.conf | head -1)" = "nameserver $LAN_DNS" ] ||
    fail "the host mount namespace's resolv.conf: $(in_host cat /etc/resolv.conf)"
  [ "$(cat /etc/resolv.conf)" != "$(in_host cat /etc/resolv.conf)" ] ||
    fail "the host mount namespace shares the real /etc/resolv.conf"
}

# in_host COMMAND...: runs COMMAND on "the host": the client's network namespace and the test's
# host mount namespace.
in_host() { nsenter --mount="/proc/$HOSTNS_PID/ns/mnt" --net="/run/netns/$NS_CLI" -- "$@"; }

# host_resolver ADDRESS: the host replaces its resolv.conf the way NetworkManager, dhclient and
# resolvconf do: a new file renamed over the old one.
host_resolver() {
  in_host sh -c 'printf "nameserver %s\noptions timeout:1 attempts:1\n" "$1" >/etc/resolv.conf.vpnns-new &&
    mv -T /etc/resolv.conf.vpnns-new /etc/resolv.conf' _ "$1"
}

# as_app COMMAND...: COMMAND as a protected application: started the way the README says,
# `ip netns exec NS` from the host (its DNS files bind-mounted over the host's), as uid $APP_UID.
as_app() {
  in_host env RES_OPTIONS="timeout:1 attempts:1" ip netns exec "$NS_VPN" \
    setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups "$@"
}

# start_app COMMAND...: as_app in the background; APP_PID is the application itself (every
# step execs the next), so /proc/APP_PID shows the mount namespace `ip netns exec` made for it.
start_app() {
  (exec nsenter --mount="/proc/$HOSTNS_PID/ns/mnt" --net="/run/netns/$NS_CLI" -- \
    env RES_OPTIONS="timeout:1 attempts:1" ip netns exec "$NS_VPN" \
    setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups "$@") &
  APP_PID=$!
  STARTED_PIDS+=("$APP_PID")
  CLASS_PIDS+=("$APP_PID")
}

# start_in_ns NS COMMAND...: COMMAND in the background in namespace NS; BG_PID is COMMAND itself.
start_in_ns() {
  local ns=$1
  shift
  (exec nsenter --net="/run/netns/$ns" -- "$@") &
  BG_PID=$!
  STARTED_PIDS+=("$BG_PID")
  CLASS_PIDS+=("$BG_PID")
}

# tun_tx: packets sent into the tunnel device in the protected namespace so far.
tun_tx() { ip -n "$NS_VPN" -s -j link show tun0 | jq '.[0].stats64.tx.packets'; }

# as_host_user COMMAND...: the same command as an unprotected process of the same uid on the
# host (the positive controls).
as_host_user() {
  in_host env RES_OPTIONS="timeout:1 attempts:1" \
    setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups "$@"
}

# One name lookup through the C library, the way an application does it (the name does not
# exist; what matters is where the query goes).
LOOKUP="getent ahostsv4 $PROBE_NAME >/dev/null 2>&1 || true"

# probe_script DEST...: a shell snippet that sends, to each DEST, UDP to port 9999, a TCP
# connection to port 80 and an ICMP echo request, printing whatever errors the sends met
# ("Network is unreachable": the application tried and had no way out).
probe_script() {
  local d out=""
  for d in "$@"; do
    out+="echo leak-probe >/dev/udp/$d/9999; timeout 1 bash -c 'echo >/dev/tcp/$d/80';"
    out+="ping -n -c 1 -W 1 $d >/dev/null;"
  done
  printf '%s' "$out"
}

# --- continuous senders (the restart-window and tunnel-down classes)

# start_sender NAME NS DEST...: from namespace NS as uid $APP_UID, every 50 ms one UDP datagram
# to port 9999 and one to port 53 of each DEST; counts successful and failed sends in
# $WORK/app/NAME ("OK ERR"). Sets SENDER_PID.
start_sender() {
  local name=$1 ns=$2
  shift 2
  mkdir -p "$WORK/app"
  chown "$APP_UID" "$WORK/app"
  rm -f "$WORK/app/$name"
  start_in_ns "$ns" setpriv --reuid "$APP_UID" --regid "$APP_UID" --clear-groups bash -c '
    stats=$1; shift
    ok=0 err=0
    while :; do
      for d in "$@"; do
        for port in 9999 53; do
          if echo leak-probe 2>/dev/null >"/dev/udp/$d/$port"; then ok=$((ok + 1)); else err=$((err + 1)); fi
        done
      done
      printf "%s %s\n" "$ok" "$err" 1<>"$stats"
      sleep 0.05
    done' _ "$WORK/app/$name" "$@"
  SENDER_PID=$BG_PID
  wait_for 5 test -s "$WORK/app/$name" || fail "sender $name did not start"
}

# sender_stats NAME: "OK ERR" so far. (The sender rewrites its file in place, never truncating
# it: the counts only grow, so every write is at least as long as the last, and a reader never
# sees it empty — not even when the sender is killed half-way.)
sender_stats() {
  local s="" i
  for ((i = 0; i < 100; i++)); do
    s=$(cat "$WORK/app/$1" 2>/dev/null) || true
    [ -z "$s" ] || break
    sleep 0.01
  done
  [ -n "$s" ] || fail "sender $1 has written no counts"
  echo "$s"
}

stop_sender() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# --- classes

class_exit() {
  local rc=$? pid
  for pid in "${CLASS_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  exit "$rc"
}

# run_class NUMBER TITLE FUNCTION: runs one leak class and records its result.
run_class() {
  local num=$1 title=$2 fn=$3 rc
  local started=$SECONDS
  set +e
  (
    set -e
    CLASS_PIDS=()
    TEST_NAME="$TEST_NAME class $num"
    trap class_exit EXIT
    "$fn"
  )
  rc=$?
  set -e
  local line="class $num, $title ($((SECONDS - started)) s)"
  if [ "$rc" -eq 0 ]; then
    RESULTS+=("PASS $line")
    log "PASS $line"
  else
    RESULTS+=("FAIL $line")
    log "FAIL $line"
    CLASS_FAILURES=$((CLASS_FAILURES + 1))
  fi
}

# report: the summary; fails the test if any class failed.
report() {
  local r
  log "summary:"
  for r in "${RESULTS[@]}"; do log "  $r"; done
  if [ "$CLASS_FAILURES" -gt 0 ]; then
    FAILED=1
    log "FAIL: $CLASS_FAILURES leak class(es) failed"
    exit 1
  fi
}

# expect_seen WHAT BEFORE AFTER MIN: AFTER - BEFORE >= MIN (the control saw the probe).
expect_seen() {
  [ "$(($3 - $2))" -ge "$4" ] || fail "control: $1 counted $(($3 - $2)) packets, expected at least $4 — the counter cannot be trusted"
}

# expect_none WHAT BEFORE AFTER: nothing counted (no leak).
expect_none() {
  [ "$2" = "$3" ] || fail "LEAK: $1 went from $2 to $3"
}
