#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vpnnsctl forward end to end, against a real netns-mode tunnel (Debian's openvpn, client `user
# nobody`, chroot, the plugin from the build tree), as an unprivileged member of the group.
#
# vpnns-execd runs as in exec_test.sh: by hand, on a socket in the test's directory, for a group
# the test creates, in a mount namespace whose /run holds the host's /run/netns and a copy of the
# helper's marker. The "host" is openvpn's namespace ($NS_CLI): vpnnsctl forward runs there
# (nsenter), so that every socket of the test is in a namespace the test made.
#
# Asserts, with one openvpn run:
#  * an HTTP server inside the namespace fetched from the host through a forward; one on the
#    host's 127.0.0.1 fetched from inside (vpnnsctl exec ... curl) through --reverse; a UDP echo
#    both ways (/udp); 64 MiB through a forward, then a half-close: every byte and the end of
#    stream arrive
#  * while they run: the namespace holds lo and the tun only, no route or address changed on
#    either side, and probes sent from inside (the leak matrix's probe_script) count 0 outside
#    the tunnel at the server's underlay, while the same probes from the host count there
#  * refusals, exit status 125 and the clear message: a user outside the group, a member the exec
#    policy denies (its rule named), a namespace that is not vpnns's, a taken port on either
#    side, a listener below port 1024 inside; more connections than --max-connections: the
#    extra one is reset at once and the others stay; --idle-timeout closes an idle connection
#  * a hostile client (forward_probe): a forward to any other address than 127.0.0.1 inside is
#    refused; a socket for an endpoint not asked for, a second listener refused; the sockets
#    that come back are connected or bound exactly as asked, and the caller's
#  * the tunnel stopped: the forward keeps listening, a connection to a port nobody listens on
#    fails cleanly, and after the reconnect the forward relays again
#  * SIGINT: exit 0, the ports free on both sides, no session left in vpnns-execd, its fds as
#    before; root without the service (setns directly)
TEST_NAME="forward"
source "$(dirname "$0")/../leak/leak_lib.sh"

CTL_BUILT=${VPNNS_CTL:-$BUILD/ctl/vpnnsctl}
EXECD=${VPNNS_EXECD:-$BUILD/execd/vpnns-execd}
TOOL=$(dirname "$0")/forward_tool.py
PROBE=$BUILD/tests/forward_probe
for f in "$CTL_BUILT" "$EXECD" "$PROBE"; do [ -x "$f" ] || fail "not built: $f"; done
for t in python3 curl; do command -v "$t" >/dev/null || fail "$t is missing (scripts/setup installs it)"; done

GROUP=$ID-grp
USER_IN=$ID-in
USER_OUT=$ID-out
SOCK=$WORK/exec.sock
EXECD_PID=

remove_accounts() {
  if [ -n "$EXECD_PID" ]; then pgrep -P "$EXECD_PID" | xargs -r kill -KILL 2>/dev/null || true; fi
  local u
  for u in "$USER_IN" "$USER_OUT"; do
    if getent passwd "$u" >/dev/null; then
      pgrep -u "$u" | xargs -r kill -KILL 2>/dev/null || true
      userdel "$u" 2>/dev/null || true
    fi
  done
  if getent group "$GROUP" >/dev/null; then groupdel "$GROUP" 2>/dev/null || true; fi
}
at_exit remove_accounts

setup_topology
leak_counters "$NS_SRV" veth0
make_pki
server_conf
client_conf "netns=$NS_VPN helper=$HELPER"
start_server
start_client
wait_connected

groupadd "$GROUP"
useradd -M -N -g nogroup -G "$GROUP" -d /nonexistent -s /usr/sbin/nologin "$USER_IN"
useradd -M -N -g nogroup -d /nonexistent -s /usr/sbin/nologin "$USER_OUT"
CTL=$WORK/vpnnsctl
install -m 0755 "$CTL_BUILT" "$CTL"
install -m 0755 "$TOOL" "$WORK/tool"
install -m 0755 "$PROBE" "$WORK/forward_probe"
mkdir -p "$WORK/run" "$WORK/www-ns" "$WORK/www-host"
echo "inside-$ID" >"$WORK/www-ns/token"
echo "host-$ID" >"$WORK/www-host/token"
cd "$WORK" || exit 1
# shellcheck disable=SC2016  # the script's variables are its own
unshare --mount --propagation private bash -euc '
  R=$1 NS=$2
  mount -n -t tmpfs -o mode=0755 vtrun "$R"
  mkdir -p "$R/netns" "$R/vpnns/netns"
  mount -n --rbind /run/netns "$R/netns"
  cp -p "/run/vpnns/netns/$NS" "$R/vpnns/netns/"
  mount -n --move "$R" /run
  shift 2
  exec "$@"' - "$WORK/run" "$NS_VPN" "$EXECD" --socket="$SOCK" --group="$GROUP" \
  --policy="$WORK/exec-policy" 2>"$WORK/execd.log" &
EXECD_PID=$!
STARTED_PIDS+=("$EXECD_PID")
wait_for 5 test -S "$SOCK" || fail "vpnns-execd did not create its socket"
execd_fds() { find "/proc/$EXECD_PID/fd" -mindepth 1 | wc -l; }
execd_children() { { pgrep -P "$EXECD_PID" || true; } | wc -l; }
FDS_BEFORE=$(execd_fds)

# How the users run things on the "host" (openvpn's namespace): nsenter, setpriv and env exec
# each other, so a background job's $! is vpnnsctl's own pid.
as_user() {
  local user=$1 groups=--init-groups
  [ "$user" = "$USER_OUT" ] && groups=--clear-groups
  printf '%s\0' nsenter --net="/run/netns/$NS_CLI" setpriv --reuid="$user" --regid=nogroup \
    "$groups" env -i PATH=/usr/bin:/bin HOME=/nonexistent LANG=C VPNNS_EXEC_SOCKET="$SOCK"
  [ -z "${ASAN_OPTIONS:-}" ] || printf '%s\0' "ASAN_OPTIONS=$ASAN_OPTIONS"
  [ -z "${UBSAN_OPTIONS:-}" ] || printf '%s\0' "UBSAN_OPTIONS=$UBSAN_OPTIONS"
}
mapfile -d '' AS_IN < <(as_user "$USER_IN")
mapfile -d '' AS_OUT < <(as_user "$USER_OUT")
IN_VPN=("${AS_IN[@]}" "$CTL" exec -n "$NS_VPN" --)
bg() {
  "$@" &
  BG=$!
  STARTED_PIDS+=("$BG")
}

# The services: HTTP and UDP echo inside the namespace (as the member, through exec) and on the
# host's 127.0.0.1.
bg "${IN_VPN[@]}" python3 -m http.server -b 127.0.0.1 -d "$WORK/www-ns" 8080
bg "${IN_VPN[@]}" python3 "$WORK/tool" udp-echo 5353
bg "${AS_IN[@]}" python3 -m http.server -b 127.0.0.1 -d "$WORK/www-host" 19090
bg "${AS_IN[@]}" python3 "$WORK/tool" udp-echo 15353
bg "${IN_VPN[@]}" python3 "$WORK/tool" sink 8070
listening() { nsenter --net="/run/netns/$1" ss -Hltun "sport = :$2" | grep -q .; }
wait_for 5 listening "$NS_VPN" 8080 || fail "the namespace's HTTP server did not start"
wait_for 5 listening "$NS_CLI" 19090 || fail "the host's HTTP server did not start"
wait_for 5 listening "$NS_VPN" 8070 || fail "the namespace's sink did not start"

SESSIONS_BEFORE=$(execd_children)  # the services' exec sessions
LINKS_VPN=$(links_in "$NS_VPN")
[ "$LINKS_VPN" = "lo tun0 " ] || fail "links before: $LINKS_VPN"
state() { routes_in "$1"; ip -n "$1" -o addr show | awk '{print $2, $4}'; }
STATE_VPN=$(state "$NS_VPN")
STATE_CLI=$(state "$NS_CLI")

# --- The forward: both ways, TCP and UDP, in one invocation.
bg "${AS_IN[@]}" "$CTL" forward -n "$NS_VPN" 18080:8080 18085:8070 --reverse 9090:19090 18053:5353/udp \
  --reverse 5300:127.0.0.1:15353/udp 2>"$WORK/forward.err"
FWD=$BG
wait_for 5 listening "$NS_VPN" 9090 || fail "the forward did not start: $(cat "$WORK/forward.err")"
for line in "tcp host 127.0.0.1:18080 -> 127.0.0.1:8080 in namespace $NS_VPN" \
  "tcp 127.0.0.1:9090 in namespace $NS_VPN -> host 127.0.0.1:19090" \
  "udp host 127.0.0.1:18053 -> 127.0.0.1:5353 in namespace $NS_VPN" \
  "udp 127.0.0.1:5300 in namespace $NS_VPN -> host 127.0.0.1:15353"; do
  grep -qxF "vpnnsctl forward: $line" "$WORK/forward.err" || fail "not said: $line"
done
fetch() { "${AS_IN[@]}" curl -sS --max-time 3 "http://127.0.0.1:$1/token"; }
got=$(fetch 18080) || fail "fetch through the forward: $got"
[ "$got" = "inside-$ID" ] || fail "through the forward: '$got'"
got=$("${IN_VPN[@]}" curl -sS --max-time 3 http://127.0.0.1:9090/token) || fail "fetch through --reverse: $got"
[ "$got" = "host-$ID" ] || fail "through --reverse: '$got'"
pass "HTTP from the host into the namespace (forward) and from the namespace to the host (--reverse)"
got=$("${AS_IN[@]}" python3 "$WORK/tool" udp-ask 18053 ping-in) || fail "udp forward: $got"
[ "$got" = "echo:ping-in" ] || fail "udp forward: $got"
got=$("${IN_VPN[@]}" python3 "$WORK/tool" udp-ask 5300 ping-out) || fail "udp --reverse: $got"
[ "$got" = "echo:ping-out" ] || fail "udp --reverse: $got"
pass "UDP echo both ways"
got=$("${AS_IN[@]}" python3 "$WORK/tool" push 18085 67108864)
[ "$got" = 67108864 ] || fail "64 MiB and a half-close through the forward: $got"
pass "64 MiB and a half-close through the forward: all bytes arrive, the end of stream is passed on"
grep -q "(allowed by default: .*): forward in network namespace '$NS_VPN'" "$WORK/execd.log" ||
  fail "not in execd's log: $(grep forward "$WORK/execd.log")"
owner=$(nsenter --net="/run/netns/$NS_VPN" ss -Hltne "sport = :9090" 2>/dev/null | grep -o 'uid:[0-9]*')
[ "$owner" = "uid:$(id -u "$USER_IN")" ] || fail "the listener inside belongs to $owner"
pass "the namespace's listening socket belongs to the member ($owner)"
in_execd_ns() { nsenter --mount="/proc/$EXECD_PID/ns/mnt" "$@"; }
quota=$(in_execd_ns find /run/vpnns/forward -name "$(id -u "$USER_IN").*" -printf '%f ' -exec cat {} \; | tr -s ' ')
[[ $quota =~ ^$(id -u "$USER_IN")\.[0-9]+\ [1-9][0-9]*$ ]] || fail "the member's count of sockets: '$quota'"
pass "the member's live sockets are counted for the per-user limit ($quota)"

# --- While it runs: nothing at the packet level.
[ "$(links_in "$NS_VPN")" = "lo tun0 " ] || fail "links during: $(links_in "$NS_VPN")"
[ "$(state "$NS_VPN")" = "$STATE_VPN" ] || fail "the namespace's routes or addresses changed"
[ "$(state "$NS_CLI")" = "$STATE_CLI" ] || fail "the host's routes or addresses changed"
before=$(counter "$NS_SRV" outside)
in_ns "$NS_CLI" bash -c "$(probe_script 198.51.100.1)" >/dev/null 2>&1 || true
control=$(($(counter "$NS_SRV" outside) - before))
[ "$control" -ge 3 ] || fail "the host's probes were not counted ($control)"
before=$(counter "$NS_SRV" outside)
"${IN_VPN[@]}" bash -c "$(probe_script 198.51.100.1)" >/dev/null 2>&1 || true
sleep 0.2
[ "$(counter "$NS_SRV" outside)" = "$before" ] || fail "probes from inside reached the outside"
pass "lo and tun0 only, routes and addresses unchanged on both sides; probes from inside: 0 outside (host's: $control)"

# --- Refusals.
refused() {  # EXPECTED-TEXT COMMAND...: exit 125 and the text on stderr
  local want=$1 err rc=0
  shift
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" = 125 ] || fail "expected 125 from '$*', got $rc: $err"
  grep -qF -- "$want" <<<"$err" || fail "expected '$want' from '$*': $err"
}
refused "user $USER_OUT is not in group $GROUP" "${AS_OUT[@]}" "$CTL" forward -n "$NS_VPN" 28080:8080
# The exec policy (state/exec_policy.h) decides for a forward as for an exec, and says which rule.
POLICY=$WORK/exec-policy
printf 'deny user:%s %s\n' "$USER_IN" "$NS_VPN" >"$POLICY"
refused "may not enter network namespace '$NS_VPN' (a client's): refused by $POLICY:1: deny user:$USER_IN $NS_VPN" \
  "${AS_IN[@]}" "$CTL" forward -n "$NS_VPN" 28080:8080
rm -f "$POLICY"
refused "is not a vpnns namespace" "${AS_IN[@]}" "$CTL" forward -n "$NS_CLI" 28080:8080
refused "the host's 127.0.0.1:18080 is taken" "${AS_IN[@]}" "$CTL" forward -n "$NS_VPN" 18080:8080
refused "127.0.0.1:8080 in namespace $NS_VPN is taken" "${AS_IN[@]}" "$CTL" forward -n "$NS_VPN" --reverse 8080:19090
refused "a port below 1024 inside the namespace is privileged" "${AS_IN[@]}" "$CTL" forward -n "$NS_VPN" --reverse 80:19090
pass "refused with 125: an outsider, a member the policy denies (the rule named), a namespace not vpnns's, a taken port on the host and inside, a listener below 1024 inside"

# --- Hostile requests (forward_probe): other addresses, a listener below 1024, endpoints not
# asked for, a second listener; what comes back is what was asked for.
"${AS_IN[@]}" "$WORK/forward_probe" "$SOCK" "$NS_VPN" 8080 >"$WORK/probe.out" 2>&1 ||
  fail "hostile socket requests: $(grep -v '^ok:' "$WORK/probe.out")"
# The client's frames are decoded by the session's decoder (execd/session.h), not by the
# privileged process: the probe's stray signal frame is ignored there.
grep -q "decoder: ignored: a message that is not a socket request" "$WORK/execd.log" ||
  fail "the stray frame was not ignored by the decoder: $(grep ignored "$WORK/execd.log")"
pass "$(grep -c '^ok:' "$WORK/probe.out") hostile socket requests refused or answered exactly (only 127.0.0.1, only what was asked for)"

# --- More connections than the limit.
bg "${AS_IN[@]}" "$CTL" forward -n "$NS_VPN" --max-connections 2 18081:8080 2>"$WORK/limit.err"
LIMIT=$BG
wait_for 5 listening "$NS_CLI" 18081 || fail "the limited forward did not start"
got=$("${AS_IN[@]}" python3 "$WORK/tool" hold 18081 3 | tr '\n' ' ')
[ "$got" = "open open closed " ] || fail "3 connections over a limit of 2: $got"
grep -q "already 2 connections, the most allowed (--max-connections)" "$WORK/limit.err" ||
  fail "the limit was not said: $(cat "$WORK/limit.err")"
kill -INT "$LIMIT"
pass "over --max-connections: the extra connection is reset at once, the others stay, and it is said"
bg "${AS_IN[@]}" "$CTL" forward -n "$NS_VPN" --idle-timeout 1 18084:8080 2>"$WORK/idle.err"
IDLE=$BG
wait_for 5 listening "$NS_CLI" 18084 || fail "the idle forward did not start"
got=$("${AS_IN[@]}" python3 "$WORK/tool" idle 18084 4)
[ "$got" = closed ] || fail "an idle connection with --idle-timeout 1 stayed $got"
grep -q "closed after 1 s without traffic (--idle-timeout)" "$WORK/idle.err" ||
  fail "the idle close was not said: $(cat "$WORK/idle.err")"
kill -INT "$IDLE"
pass "--idle-timeout: a connection without traffic is closed, and it is said"

# --- The tunnel stopped, and back.
kill -TERM "$CLIENT_PID"
wait_gone "$CLIENT_PID" 10 || fail "openvpn did not stop"
[ "$(links_in "$NS_VPN")" = "lo " ] || fail "links with the tunnel down: $(links_in "$NS_VPN")"
is_running "$FWD" || fail "the forward died with the tunnel"
bg "${AS_IN[@]}" "$CTL" forward -n "$NS_VPN" 18082:8099 2>"$WORK/none.err"
NONE=$BG
wait_for 5 listening "$NS_CLI" 18082 || fail "a forward to an idle port did not start"
got=$("${AS_IN[@]}" curl -sS --max-time 3 http://127.0.0.1:18082/ 2>&1) && fail "a connection to nothing succeeded"
# curl sees the reset as a failed connect when it comes before curl has checked its connect.
grep -q "reset\|Empty reply\|Couldn't connect" <<<"$got" ||
  fail "a connection to nothing: $got ($(cat "$WORK/none.err"))"
wait_for 2 grep -qF "tcp connect 127.0.0.1:8099 in namespace '$NS_VPN': Connection refused (errno 111) (is anything listening on 127.0.0.1:8099 in namespace $NS_VPN?)" \
  "$WORK/none.err" || fail "not said: $(cat "$WORK/none.err")"
kill -INT "$NONE"
start_client
wait_connected 2
[ "$(links_in "$NS_VPN")" = "lo tun0 " ] || fail "links after the reconnect: $(links_in "$NS_VPN")"
got=$(fetch 18080) || fail "fetch after the reconnect: $got"
[ "$got" = "inside-$ID" ] || fail "after the reconnect: '$got'"
pass "tunnel down: the forward keeps listening, a connection to nothing is reset and said; after the reconnect it relays"

# --- SIGINT.
kill -INT "$FWD"
rc=0
wait "$FWD" || rc=$?
[ "$rc" = 0 ] || fail "the forward exited with $rc after SIGINT"
grep -q "stopped by signal 2" "$WORK/forward.err" || fail "no goodbye: $(cat "$WORK/forward.err")"
no_forward_sessions() { [ "$(execd_children)" -eq "$SESSIONS_BEFORE" ]; }
wait_for 5 no_forward_sessions || fail "sessions left in vpnns-execd: $(pgrep -a -P "$EXECD_PID")"
[ "$(execd_fds)" = "$FDS_BEFORE" ] || fail "vpnns-execd holds $(execd_fds) fds, $FDS_BEFORE before"
[ -z "$(in_execd_ns find /run/vpnns/forward -type f)" ] || fail "count files left: $(in_execd_ns ls /run/vpnns/forward)"
! listening "$NS_VPN" 9090 || fail "the reverse listener outlived the forward"
! listening "$NS_CLI" 18080 || fail "the host listener outlived the forward"
pass "SIGINT: exit 0, both sides' ports free, no session left in vpnns-execd (nor its count file), its fds as before"

# --- Root, without the service.
bg nsenter --net="/run/netns/$NS_CLI" "$CTL_BUILT" forward -n "$NS_VPN" 18083:8080 2>"$WORK/root.err"
ROOT_FWD=$BG
wait_for 5 listening "$NS_CLI" 18083 || fail "root's forward did not start: $(cat "$WORK/root.err")"
got=$(fetch 18083) || fail "root's forward: $got"
[ "$got" = "inside-$ID" ] || fail "root's forward: '$got'"
kill -INT "$ROOT_FWD"
wait_gone "$ROOT_FWD" 5 || fail "root's forward did not stop"
[ "$(links_in "$NS_VPN")" = "lo tun0 " ] || fail "links at the end: $(links_in "$NS_VPN")"
pass "root: forwards without vpnns-execd (setns directly)"
