# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared by the soak and crash tests: the end-to-end topology and clean-up of tests/e2e/lib.sh,
# plus what long runs need — millisecond clocks that cost no process, cheap samples of a process's
# descriptors and memory, a normalised picture of the state vpnns manages (to compare after every
# cycle), and the check that openvpn's death left nothing of vpnns behind.
#
# Everything here only reads, except block_client_port (an nft table in the SERVER's test
# namespace, which the EXIT trap removes with the namespace) and forget_pid.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

# now_us: microseconds since the epoch. $(now_us) forks a subshell (~1 ms); where that matters
# (timing a kill) the scripts expand ${EPOCHREALTIME//[!0-9]/} in place.
now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; }

# poll_ms TIMEOUT_MS COMMAND...: like wait_for, at POLL_STEP (default 10 ms) steps; wait_for's
# 100 ms would be most of a restart cycle.
poll_ms() {
  local deadline=$((${EPOCHREALTIME//[!0-9]/} + $1 * 1000))
  shift
  until "$@"; do
    [ "${EPOCHREALTIME//[!0-9]/}" -lt "$deadline" ] || return 1
    sleep "${POLL_STEP:-0.01}"
  done
}

# count_in_log PATTERN: how many lines of the client's log contain PATTERN (fixed string).
count_in_log() { grep -cF -- "$1" "$WORK/client.log" 2>/dev/null || true; }

# fd_count PID / rss_kb PID: read from /proc without spawning anything.
fd_count() {
  local fds=("/proc/$1/fd/"*)
  echo "${#fds[@]}"
}
rss_kb() {
  local key value _
  while read -r key value _; do
    if [ "$key" = VmRSS: ]; then
      echo "$value"
      return
    fi
  done <"/proc/$1/status"
  echo 0
}
# ppid_of PID: the parent pid, or nothing if PID is gone.
ppid_of() {
  local key value
  while read -r key value; do
    if [ "$key" = PPid: ]; then
      echo "$value"
      return
    fi
  done <"/proc/$1/status" 2>/dev/null
}

# Series statistics: stat_add NAME VALUE; stat_line NAME → "first F, last L, min m, max M".
declare -A STAT_FIRST STAT_LAST STAT_MIN STAT_MAX
stat_add() {
  local name=$1 v=$2
  if [ -z "${STAT_FIRST[$name]:-}" ]; then
    STAT_FIRST[$name]=$v
    STAT_MIN[$name]=$v
    STAT_MAX[$name]=$v
  fi
  STAT_LAST[$name]=$v
  [ "$v" -ge "${STAT_MIN[$name]}" ] || STAT_MIN[$name]=$v
  [ "$v" -le "${STAT_MAX[$name]}" ] || STAT_MAX[$name]=$v
}
stat_line() {
  echo "first ${STAT_FIRST[$1]}, last ${STAT_LAST[$1]}, min ${STAT_MIN[$1]}, max ${STAT_MAX[$1]}"
}

# normalise_nft: nft's listing without what changes by itself (packet and byte counts).
normalise_nft() { sed -E 's/packets [0-9]+ bytes [0-9]+/packets N bytes N/g'; }

# vpn_state: everything vpnns manages for a netns-mode client, in a form that must not change
# from one reconnect to the next: the protected namespace's links (no counters), addresses,
# routes of every table, nft ruleset and /etc/netns files with their modes; openvpn's
# namespace's links, routes and nft ruleset (the seal). Kernel housekeeping that carries time
# (address lifetimes are "forever" here, routes carry no expiry) is not printed by these
# commands.
vpn_state() {
  local f
  echo "== $NS_VPN links"
  ip -n "$NS_VPN" -o link show
  echo "== $NS_VPN addresses"
  ip -n "$NS_VPN" -o addr show
  echo "== $NS_VPN routes"
  ip -n "$NS_VPN" -4 route show table all
  ip -n "$NS_VPN" -6 route show table all
  echo "== $NS_VPN nft"
  in_ns "$NS_VPN" nft list ruleset | normalise_nft
  echo "== /etc/netns/$NS_VPN"
  if [ -d "/etc/netns/$NS_VPN" ]; then
    for f in "/etc/netns/$NS_VPN"/*; do
      stat -c '%n %a %U:%G %s' "$f"
      cat "$f"
    done
  fi
  echo "== $NS_CLI links: $(links_in "$NS_CLI")"
  echo "== $NS_CLI routes"
  routes_in "$NS_CLI"
  echo "== $NS_CLI nft"
  in_ns "$NS_CLI" nft list ruleset | normalise_nft
}

# client_udp_port: the local port of the client openvpn's UDP socket (nobind: a new one after
# every restart).
client_udp_port() {
  in_ns "$NS_CLI" ss -Hanup | awk -v pid="pid=$CLIENT_PID," '
    index($0, pid) { n = split($4, a, ":"); print a[n]; exit }'
}

# block_client_port PORT / unblock_client_port: the server stops hearing from and answering the
# client's current socket (both directions dropped in the server's namespace), as a dead path
# would. Only that port: the socket openvpn opens after its ping-restart is not affected, so
# the reconnect does not wait for the rule to go.
block_client_port() {
  in_ns "$NS_SRV" nft -f - <<EOF
table inet vsoak_block {
  chain in { type filter hook input priority -10; policy accept; udp sport $1 drop; }
  chain out { type filter hook output priority -10; policy accept; udp dport $1 drop; }
}
EOF
}
unblock_client_port() { in_ns "$NS_SRV" nft delete table inet vsoak_block; }

# forget_pid PID: PID (started by us, reaped) is dropped from the list the EXIT trap signals,
# so a later process that is given the same number is never touched.
forget_pid() {
  local p keep=()
  for p in "${STARTED_PIDS[@]}"; do
    [ "$p" = "$1" ] || keep+=("$p")
  done
  STARTED_PIDS=("${keep[@]}")
}

# vpnns_tables NS: the vpnns tables in namespace NS (nothing when there are none).
vpnns_tables() { in_ns "$1" nft list tables | grep ' vpnns-' || true; }

# procs_in_ns NS: the pids of the live processes in namespace NS (zombies have no namespace
# any more), found with test builtins only, so polling it costs a few milliseconds.
procs_in_ns() {
  local d out=""
  for d in /proc/[0-9]*; do
    if [ "$d/ns/net" -ef "/run/netns/$1" ]; then out+="${d#/proc/} "; fi
  done
  echo "$out"
}
# no_procs_in NS: true when no live process is left in NS.
no_procs_in() { [ -z "$(procs_in_ns "$1")" ]; }

# leftovers MODE: prints what of the last openvpn ($CLIENT_PID) and its helper is still there
# (nothing when all is gone). Both modes: no live process in openvpn's namespace (the helper
# lives there: found even if forked but not yet executed, or reparented), no helper of that
# openvpn anywhere (by its command line), no vpnns table in openvpn's namespace, the tun gone
# from it. MODE netns: the protected namespace (if it exists) holds only lo and no route, and
# there are no /etc/netns files.
leftovers() {
  local mode=$1 pids links
  pids=$(procs_in_ns "$NS_CLI")
  [ -z "$pids" ] || echo "processes in $NS_CLI: $(ps -o pid=,stat=,args= -p "${pids// /,}0" | tr '\n' ';')"
  pids=$(pgrep -f -- "vpnns-helper --socket-fd=3 --parent-pid=$CLIENT_PID( |\$)" | paste -sd, -)
  [ -z "$pids" ] || echo "helper of openvpn $CLIENT_PID: $(ps -o pid=,stat=,args= -p "$pids" | tr '\n' ';')"
  links=$(links_in "$NS_CLI")
  [ "$links" = "lo veth0 " ] || echo "links in $NS_CLI: $links"
  [ -z "$(vpnns_tables "$NS_CLI")" ] || echo "tables in $NS_CLI: $(vpnns_tables "$NS_CLI" | tr '\n' ';')"
  # A namespace the helper was killed before creating is fine (nothing in it, no route out); a
  # half-made one (a file in /run/netns but no namespace mounted) would show as no links.
  if [ "$mode" = netns ] && [ -e "/run/netns/$NS_VPN" ]; then
    links=$(links_in "$NS_VPN")
    [ "$links" = "lo " ] || echo "links in $NS_VPN: $links"
    [ -z "$(routes_in "$NS_VPN")" ] || echo "routes in $NS_VPN: $(routes_in "$NS_VPN" | tr '\n' ';')"
  fi
  if [ "$mode" = netns ] && [ -e "/etc/netns/$NS_VPN" ]; then
    echo "/etc/netns/$NS_VPN exists: $(ls "/etc/netns/$NS_VPN")"
  fi
  return 0
}
