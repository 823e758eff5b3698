#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vpnnsctl exec and vpnns-execd end to end, against a real netns-mode tunnel (Debian's openvpn,
# client `user nobody`, chroot, the plugin from the build tree).
#
# vpnns-execd runs by hand on a socket in the test's directory, for a group the test creates,
# inside a mount namespace of its own whose /run is a tmpfs holding: the host's /run/netns
# (bound), a copy of the helper's marker for the tunnel's namespace, and stand-in sockets at
# /run/systemd/resolve/io.systemd.Resolve and /run/nscd/socket — so that hiding them is really
# tested, without touching the host's /run. Test users vt<pid>-in (in the group) and
# vt<pid>-out (not) are created with useradd and removed at exit, also on failure; sweep knows
# their names.
#
# Asserts:
#  * the helper's marker: /run/vpnns/netns/NAME = "DEV:INO client" of /run/netns/NAME, root, 0644
#  * as a member: the command sees only lo and the tun (ip and /sys/class/net), its own uid,
#    gid and groups, no capabilities, NoNewPrivs, only fds 0-2, the caller's cwd, environment
#    and umask, the namespace's resolv.conf, no resolver socket; mounts made for it do not
#    reach the service's mount namespace (nor the host's)
#  * stdin piped to stdout; exit codes 0 and 3; death by SIGTERM comes back as death by SIGTERM;
#    SIGINT sent to vpnnsctl reaches the command
#  * a pty session (util-linux script): tty is a pty owned by the user, window size at start and
#    after SIGWINCH, input relayed, Ctrl-C interrupts a sleep and comes back as SIGINT, Ctrl-Z
#    stops the command and vpnnsctl, fg resumes both
#  * not in the group: refused with the clear message by the socket's permissions, and by the
#    service itself for a caller that gets past them (CAP_DAC_OVERRIDE); nothing spawned
#  * the default namespace: the only one, or an error listing them
#  * hostile requests (exec_probe) refused with reasons; the service keeps serving, holds the
#    same descriptors as before and leaves no zombie
#  * the exec policy: without a file a member is refused a server's namespace; a file's deny and
#    allow rules decide; a bad line or a file others may write refuses; refusals name the rule
#  * 500 ignored frames in one session: 5 log lines and a count (the log limit)
#  * root without the service: stays root; through sudo (SUDO_UID...) runs as that user, without
#    capabilities
TEST_NAME="exec"
source "$(dirname "$0")/lib.sh"

CTL_BUILT=${VPNNS_CTL:-$BUILD/ctl/vpnnsctl}  # VPNNS_CTL/VPNNS_EXECD: the installed ones (tests/pkg)
EXECD=${VPNNS_EXECD:-$BUILD/execd/vpnns-execd}
PROBE=$BUILD/tests/exec_probe
for f in "$CTL_BUILT" "$EXECD" "$PROBE"; do
  [ -x "$f" ] || fail "not built: $f"
done

GROUP=$ID-grp
USER_IN=$ID-in
USER_OUT=$ID-out
SOCK=$WORK/exec.sock
EXECD_PID=

remove_accounts() {
  # Sessions of our service (and the commands they run) end with it; end stragglers by pid.
  if [ -n "$EXECD_PID" ]; then
    pgrep -P "$EXECD_PID" | xargs -r kill -KILL 2>/dev/null || true
  fi
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
# openvpn's namespace lets every group ping, as Debian's systemd sets the host; the helper gives
# the protected namespace the same (checked below with the test user's ping).
ip netns exec "$NS_CLI" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
make_pki
server_conf
client_conf "netns=$NS_VPN helper=$HELPER"
start_server
start_client
wait_connected

# --- The helper's marker.
MARKER=/run/vpnns/netns/$NS_VPN
[ "$(cat "$MARKER")" = "$(stat -c '%d:%i' "/run/netns/$NS_VPN") client" ] ||
  fail "marker $(cat "$MARKER") vs namespace $(stat -c '%d:%i' "/run/netns/$NS_VPN")"
[ "$(stat -c '%u %a' "$MARKER")" = "0 644" ] || fail "marker owner/mode: $(stat -c '%u %a' "$MARKER")"
pass "the helper marked $NS_VPN: DEV:INO of /run/netns/$NS_VPN and role client, root, 0644"

# --- Accounts, the binaries they run, the service.
groupadd "$GROUP"
useradd -M -N -g nogroup -G "$GROUP" -d /nonexistent -s /usr/sbin/nologin "$USER_IN"
useradd -M -N -g nogroup -d /nonexistent -s /usr/sbin/nologin "$USER_OUT"
UID_IN=$(id -u "$USER_IN")
GID_GROUP=$(getent group "$GROUP" | cut -d: -f3)
# The build tree may not be readable by others: the users run copies.
CTL=$WORK/vpnnsctl
install -m 0755 "$CTL_BUILT" "$CTL"
install -m 0755 "$PROBE" "$WORK/exec_probe"
mkdir "$WORK/run" "$WORK/user"
chown "$USER_IN" "$WORK/user"  # where the member's commands may write
cd "$WORK" || exit 1

# The service's own mount namespace: a private /run (see the top).
# shellcheck disable=SC2016  # the script's variables are its own
unshare --mount --propagation private bash -euc '
  R=$1 NS=$2 PROBE=$3
  mount -n -t tmpfs -o mode=0755 vtrun "$R"
  mkdir -p "$R/netns" "$R/vpnns/netns" "$R/systemd/resolve" "$R/nscd"
  mount -n --rbind /run/netns "$R/netns"
  cp -p "/run/vpnns/netns/$NS" "$R/vpnns/netns/"
  "$PROBE" bind "$R/systemd/resolve/io.systemd.Resolve" "$R/nscd/socket"
  mount -n --move "$R" /run  # -n: /run/mount/utab moves away with it
  shift 3
  exec "$@"' - "$WORK/run" "$NS_VPN" "$PROBE" \
  "$EXECD" --socket="$SOCK" --group="$GROUP" --policy="$WORK/exec-policy" 2>"$WORK/execd.log" &
EXECD_PID=$!
STARTED_PIDS+=("$EXECD_PID")
wait_for 5 test -S "$SOCK" || fail "vpnns-execd did not create its socket"
[ "$(stat -c '%U %G %a' "$SOCK")" = "root $GROUP 660" ] || fail "socket: $(stat -c '%U %G %a' "$SOCK")"
in_execd_ns() { nsenter --mount="/proc/$EXECD_PID/ns/mnt" --wd="$WORK" "$@"; }
in_execd_ns test -S /run/systemd/resolve/io.systemd.Resolve || fail "no stand-in for resolved"
in_execd_ns test -S /run/nscd/socket || fail "no stand-in for nscd"
pass "vpnns-execd listens on $SOCK (root:$GROUP 0660); stand-in resolver sockets in its /run"

# How the users run things: in $WORK, groups from the group database, a small environment.
user_cmd() {
  local user=$1 groups=--init-groups
  [ "$user" = "$USER_OUT" ] && groups=--clear-groups
  printf '%s\0' setpriv --reuid="$user" --regid=nogroup "$groups" env -i PATH=/usr/bin:/bin \
    HOME=/nonexistent LANG=C VPNNS_EXEC_SOCKET="$SOCK" "FOO=b a r"
  [ -z "${ASAN_OPTIONS:-}" ] || printf '%s\0' "ASAN_OPTIONS=$ASAN_OPTIONS"
  [ -z "${UBSAN_OPTIONS:-}" ] || printf '%s\0' "UBSAN_OPTIONS=$UBSAN_OPTIONS"
}
mapfile -d '' AS_IN < <(user_cmd "$USER_IN")
mapfile -d '' AS_OUT < <(user_cmd "$USER_OUT")
EXEC=("${AS_IN[@]}" "$CTL" exec -n "$NS_VPN" --)

# run_status COMMAND...: "exit N" or "signal N", as the caller of COMMAND sees it (COMMAND's
# own output discarded).
run_status() {
  perl -e 'open(my $out, ">&", \*STDOUT); open(STDOUT, ">", "/dev/null"); system(@ARGV);
           print $out (($? & 127) ? "signal " . ($? & 127) : "exit " . ($? >> 8))' -- "$@"
}
ns_processes() { ip netns pids "$NS_VPN" | wc -l; }
ns_busy() { [ "$(ns_processes)" -ge 1 ]; }
ns_idle() { [ "$(ns_processes)" -eq 0 ]; }
execd_fds() { find "/proc/$EXECD_PID/fd" -mindepth 1 | wc -l; }
execd_children() { { pgrep -P "$EXECD_PID" || true; } | wc -l; }
no_sessions() { [ "$(execd_children)" -eq 0 ]; }
FDS_BEFORE=$(execd_fds)

# --- What the command sees.
# shellcheck disable=SC2016  # expanded by the command's shell
out=$("${EXEC[@]}" sh -c '
  echo "sys: $(ls /sys/class/net | tr "\n" " ")"
  echo "ip: $(ip -o link | awk -F": " "{print \$2}" | tr "\n" " ")"
  echo "ids: $(id -u) $(id -g) $(id -G)"
  echo "cwd: $(pwd) foo: $FOO umask: $(umask)"
  echo "resolved: [$(ls -A /run/systemd/resolve)] nscd: [$(ls -A /run/nscd)]"
  grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status | tr -s "\t" " "
  cat /etc/resolv.conf') || fail "vpnnsctl exec failed: $out"
expect_line() { grep -qxF -- "$1" <<<"$out" || fail "expected '$1' in: $out"; }
expect_line "sys: lo tun0 "
expect_line "ip: lo tun0 "
pass "the command sees only lo and tun0 (ip -o link, /sys/class/net)"
expect_line "ids: $UID_IN 65534 65534 $GID_GROUP"
for cap in CapInh CapPrm CapEff CapAmb; do expect_line "$cap: 0000000000000000"; done

expect_line "NoNewPrivs: 1"
pass "its own uid, gid and groups; no capabilities; NoNewPrivs"
[ "$(ip netns exec "$NS_VPN" sysctl -n net.ipv4.ping_group_range | tr -s '\t ' ' ')" = "0 2147483647" ] ||
  fail "the namespace's ping_group_range was not taken from openvpn's namespace"
pinged=$("${EXEC[@]}" ping -c 1 -W 3 192.0.2.1 2>&1) || fail "the user's ping through the tunnel failed: $pinged"

pass "the user can ping through the tunnel (ping_group_range as in openvpn's namespace)"

expect_line "cwd: $WORK foo: b a r umask: 0022"
pass "the caller's working directory, environment and umask"
[ "$(sed -n '/^nameserver/,$p' <<<"$out")" = "$(sed -n '/^nameserver/,$p' "/etc/netns/$NS_VPN/resolv.conf")" ] ||
  fail "resolv.conf seen: $out"
grep -qx 'nameserver 192.0.2.53' <<<"$out" || fail "not the pushed DNS server: $out"
expect_line "resolved: [] nscd: []"
pass "the namespace's resolv.conf; systemd-resolved's and nscd's sockets hidden"

# A running command, from outside: its descriptors, its mounts.
mounts_before=$(in_execd_ns cat /proc/self/mountinfo | wc -l)
"${EXEC[@]}" sleep 30 &
SLEEPER=$!
STARTED_PIDS+=("$SLEEPER")
wait_for 5 ns_busy || fail "the sleeper did not start"
sleep_pid=$(ip netns pids "$NS_VPN")
fds=$(find "/proc/$sleep_pid/fd" -mindepth 1 -printf '%f\n' | sort -n | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] || fail "the command holds fds: $fds"
[ "$(in_execd_ns cat /proc/self/mountinfo | wc -l)" = "$mounts_before" ] ||
  fail "the command's mounts reached the service's mount namespace"
! grep -q vpnns-hidden /proc/self/mountinfo || fail "the command's mounts reached the host"
kill -TERM "$SLEEPER"
wait_gone "$SLEEPER" 5 || fail "vpnnsctl did not end on SIGTERM"
wait_for 5 ns_idle || fail "sleep kept running after vpnnsctl got SIGTERM"
pass "the command holds only fds 0-2; its mounts reach neither the service nor the host; SIGTERM passed on"

# --- stdio, exit status, signals.
got=$(printf 'line 1\nline 2\n' | "${EXEC[@]}" cat)
[ "$got" = $'line 1\nline 2' ] || fail "stdin to stdout: '$got'"
pass "stdin is piped through to stdout"
[ "$(run_status "${EXEC[@]}" sh -c 'exit 0')" = "exit 0" ] || fail "exit 0"
[ "$(run_status "${EXEC[@]}" sh -c 'exit 3')" = "exit 3" ] || fail "exit 3"
st=$(run_status "${EXEC[@]}" sh -c 'kill -TERM $$')
[ "$st" = "signal 15" ] || fail "death by SIGTERM came back as: $st"
st=$(run_status "${EXEC[@]}" no-such-command 2>/dev/null)
[ "$st" = "exit 127" ] || fail "a missing command: $st"
pass "exit 0, exit 3 and death by SIGTERM come back exactly (a missing command: 127)"

# SIGINT to vpnnsctl reaches the command. (A background job of a script starts with SIGINT
# ignored, and vpnnsctl rightly passes on no signal it was told to ignore: perl resets it.)
perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV' -- "${EXEC[@]}" \
  sh -c 'trap "echo got-INT; exit 7" INT; echo ready; while :; do sleep 0.1; done' \
  >"$WORK/int.out" 2>&1 </dev/null &
INT_PID=$!
STARTED_PIDS+=("$INT_PID")
wait_for 5 grep -q ready "$WORK/int.out" || fail "the SIGINT target did not start"
kill -INT "$INT_PID"
rc=0
wait "$INT_PID" || rc=$?
if [ "$rc" != 7 ] || ! grep -q got-INT "$WORK/int.out"; then
  fail "SIGINT: status $rc, output $(cat "$WORK/int.out")"
fi
pass "SIGINT sent to vpnnsctl reaches the command (its trap ran, exit 7)"

# --- A pty session, driven by script(1) (as the member, so that its pty is theirs).
# When its stdin ends, script(1) writes a byte into its pty, which vpnnsctl relays and the
# command's pty echoes as "^@". Dropped, with the CRs, before checking.
pty() { "${AS_IN[@]}" script -qec "$1" /dev/null | tr -d '\r' | sed 's/\^@//g'; }
out=$(pty "stty rows 33 cols 77; $CTL exec -n $NS_VPN -- sh -c 'tty; stty size; stat -c %U \$(tty)'" </dev/null)
grep -qx '/dev/pts/[0-9]*' <<<"$out" || fail "tty in the pty session: $out"
grep -qx '33 77' <<<"$out" || fail "window size at start: $out"
grep -qx "$USER_IN" <<<"$out" || fail "the pty's owner: $out"
pass "pty session: the command's tty is a pty of its own, owned by the user, 33x77"
READY=$WORK/user/winch-ready
out=$(pty "stty rows 33 cols 77; $CTL exec -n $NS_VPN -- sh -c 'trap \"stty size; exit 0\" WINCH; : >$READY; while :; do sleep 0.1; done' </dev/tty & while [ ! -e $READY ]; do sleep 0.05; done; stty rows 40 cols 100; wait \$!" </dev/null)
grep -qx '40 100' <<<"$out" || fail "window size after SIGWINCH: $out"
pass "pty session: a new window size reaches the command (SIGWINCH)"
out=$( (sleep 0.5; printf 'hello\r') | pty "$CTL exec -n $NS_VPN -- sh -c 'read x; echo got:\$x'")
grep -qx 'got:hello' <<<"$out" || fail "input in the pty session: $out"
pass "pty session: input is relayed"
start=$SECONDS
st=$( (sleep 1; printf '\003') | run_status "${AS_IN[@]}" script -qec \
  "$CTL exec -n $NS_VPN -- sh -c 'echo started; sleep 20; echo not-interrupted'" "$WORK/user/script.out")
[ $((SECONDS - start)) -lt 10 ] || fail "Ctrl-C did not interrupt the sleep"
typescript=$(tr -d '\r' <"$WORK/user/script.out")
if ! grep -qx started <<<"$typescript" || grep -qx not-interrupted <<<"$typescript"; then
  fail "Ctrl-C: $typescript"
fi
[ "$st" = "exit 130" ] || fail "Ctrl-C: script saw $st"
pass "pty session: Ctrl-C interrupts a sleep; script sees death by SIGINT (130)"
# Ctrl-Z stops the command in its pty; vpnnsctl stops too, so that a job-control shell sees a
# stopped job (148 = 128 + SIGTSTP); `fg` resumes both, and the command reads on.
cat >"$WORK/ctrlz.sh" <<EOF
set -m
"$CTL" exec -n "$NS_VPN" -- sh -c 'echo started; : >$WORK/user/z-ready; read x; echo got:\$x; exit 4'
echo "stopped:\$?"
fg >/dev/null
echo "resumed:\$?"
EOF
# (The command's pty echoes the Ctrl-Z as "^Z", before the shell's next line.)
out=$( (wait_for 5 test -e "$WORK/user/z-ready"; sleep 0.2; printf '\032'; sleep 0.5; printf 'hello\r') |
  pty "bash $WORK/ctrlz.sh" | sed 's/\^Z//')
for line in started stopped:148 got:hello resumed:4; do
  grep -qx "$line" <<<"$out" || fail "Ctrl-Z: expected '$line' in: $out"
done
pass "pty session: Ctrl-Z stops the command and vpnnsctl (the shell sees 148); fg resumes both"

# --- Outside the group.
NOT_IN="vpnnsctl exec: user $USER_OUT is not in group $GROUP; ask an administrator to add you"
before=$(execd_children)
err=$("${AS_OUT[@]}" "$CTL" exec -n "$NS_VPN" -- touch "$WORK/spawned" 2>&1) && fail "an outsider ran a command"
[ "$err" = "$NOT_IN" ] || fail "outsider's message: $err"
# Past the socket's permissions (CAP_DAC_OVERRIDE), the service refuses by itself.
err=$(setpriv --reuid="$USER_OUT" --regid=nogroup --clear-groups --inh-caps=+dac_override \
  --ambient-caps=+dac_override env VPNNS_EXEC_SOCKET="$SOCK" \
  "$CTL" exec -n "$NS_VPN" -- touch "$WORK/spawned" 2>&1) &&
  fail "an outsider with CAP_DAC_OVERRIDE ran a command"
[ "$err" = "$NOT_IN" ] || fail "outsider (CAP_DAC_OVERRIDE) message: $err"
grep -q "refused: user $USER_OUT is not in group $GROUP" "$WORK/execd.log" || fail "not in the service's log"
if [ -e "$WORK/spawned" ] || ! ns_idle || [ "$(execd_children)" != "$before" ]; then
  fail "something was spawned for an outsider"
fi
pass "a user outside the group is refused with the clear message (by the socket and by the service); nothing spawned"

# --- The default namespace (in the service's mount namespace, where the markers are ours).
as_in_execd_ns() {
  in_execd_ns setpriv --reuid="$USER_IN" --regid=nogroup --init-groups \
    env -i PATH=/usr/bin:/bin VPNNS_EXEC_SOCKET="$SOCK" "$@"
}
[ "$(as_in_execd_ns "$CTL" exec -- cat /sys/class/net/tun0/ifindex)" = \
  "$(ip -n "$NS_VPN" -o link show tun0 | cut -d: -f1)" ] || fail "the default namespace"
in_execd_ns sh -c "stat -c %d:%i /run/netns/$NS_CLI > /run/vpnns/netns/$NS_CLI"
err=$(as_in_execd_ns "$CTL" exec -- true 2>&1) && fail "ran with two namespaces to choose from"
[ "$err" = "vpnnsctl exec: there are several vpnns namespaces ($NS_CLI, $NS_VPN); choose one with -n NAME" ] ||
  fail "several namespaces: $err"
in_execd_ns rm "/run/vpnns/netns/$NS_CLI"
pass "without -n: the only vpnns namespace, or an error listing them"

# --- Hostile requests.
"${AS_IN[@]}" "$WORK/exec_probe" hostile "$SOCK" "$NS_VPN" "$NS_CLI" >"$WORK/probe.out" 2>&1 ||
  fail "hostile requests: $(grep -v '^ok:' "$WORK/probe.out")"
wait_for 5 no_sessions || fail "sessions left: $(pgrep -a -P "$EXECD_PID")"
is_running "$EXECD_PID" || fail "vpnns-execd died"
[ "$(execd_fds)" = "$FDS_BEFORE" ] || fail "vpnns-execd holds $(execd_fds) fds, $FDS_BEFORE before"
! pgrep -r Z -P "$EXECD_PID" >/dev/null || fail "a zombie session"
ns_idle || fail "something runs in the namespace"
pass "$(grep -c '^ok:' "$WORK/probe.out") hostile requests refused with reasons; the service keeps serving, same fds, no zombie"

# --- The exec policy (state/exec_policy.h). NS_CLI plays a server's namespace: a marker with
# role server in the service's /run. No policy file: the default lets the group into client
# namespaces only. Then a file's rules, read at every request: a deny, an allow, a bad line, a
# file others may write. Every refusal names its rule, to the client and in the service's log.
POLICY=$WORK/exec-policy
in_execd_ns sh -c "echo '$(stat -c %d:%i "/run/netns/$NS_CLI") server' >/run/vpnns/netns/$NS_CLI"
refused() { # NS WANT: a member's command in NS is refused with WANT in the message
  local err
  err=$("${AS_IN[@]}" "$CTL" exec -n "$1" -- touch "$WORK/user/spawned" 2>&1) &&
    fail "a member ran a command in $1 (policy: $(cat "$POLICY" 2>/dev/null || echo none))"
  grep -qF -- "$2" <<<"$err" || fail "expected '$2' in: $err"
  [ ! -e "$WORK/user/spawned" ] || fail "something ran in $1"
}
WHO="user $USER_IN (uid $UID_IN)"
refused "$NS_CLI" "$WHO may not enter network namespace '$NS_CLI' (a server's): refused by default: group $GROUP may enter client namespaces only (there is no $POLICY"
grep -qF "refused: $WHO may not enter network namespace '$NS_CLI' (a server's): refused by default:" \
  "$WORK/execd.log" || fail "the default's refusal is not in the service's log"
pass "no policy file: a member is refused a server's namespace; the refusal names the default rule (client and log)"
printf '%s\n' "# who may enter what" "deny  group:$GROUP  $NS_VPN   # a comment" \
  "allow user:$USER_IN role:server" >"$POLICY"
refused "$NS_VPN" "$WHO may not enter network namespace '$NS_VPN' (a client's): refused by $POLICY:2: deny group:$GROUP $NS_VPN"
"${AS_IN[@]}" "$CTL" exec -n "$NS_CLI" -- true || fail "the policy's allow for a server's namespace"
grep -qF "in network namespace '$NS_CLI' (allowed by $POLICY:3: allow user:$USER_IN role:server)" \
  "$WORK/execd.log" || fail "the allowing rule is not in the service's log"
printf 'allow user:%s %s\n' "$ID-nosuchuser" "$NS_VPN" >"$POLICY"
refused "$NS_VPN" "the exec policy cannot be used: $POLICY:1: no such user '$ID-nosuchuser'"
printf 'allow group:%s *\n' "$GROUP" >"$POLICY"
"${EXEC[@]}" true || fail "allow group:$GROUP * refused"
chmod 0666 "$POLICY"
refused "$NS_VPN" "the exec policy cannot be used: exec-policy=$POLICY: writable by group or others (mode 0666)"
rm -f "$POLICY"
in_execd_ns rm "/run/vpnns/netns/$NS_CLI"
pass "a policy file: its deny and allow rules decide and are named (FILE:LINE); a bad line or a file others may write refuses everything"

# --- Ignored frames are logged at a limited rate (execd/log_limit.h): 500 frames that are no
# message while a command runs make 5 lines and one count, and the session carries on.
ignored_before=$(grep -c "ignored: " "$WORK/execd.log" || true)
"${AS_IN[@]}" "$WORK/exec_probe" flood "$SOCK" "$NS_VPN" 500 >"$WORK/flood.out" 2>&1 ||
  fail "flood: $(cat "$WORK/flood.out")"
wait_for 5 grep -q "495 similar messages suppressed (rate limit)" "$WORK/execd.log" ||
  fail "no suppressed count in the service's log: $(tail -n 5 "$WORK/execd.log")"
ignored=$(($(grep -c "ignored: " "$WORK/execd.log") - ignored_before))
[ "$ignored" = 5 ] || fail "$ignored lines logged for 500 ignored frames"
pass "500 ignored frames: 5 lines and '495 similar messages suppressed' in the service's log"

# --- Root, without the service.
out=$("$CTL_BUILT" exec -n "$NS_VPN" -- sh -c 'id -u; ls /sys/class/net | tr "\n" " "; grep ^CapEff /proc/self/status')
[ "$out" = $'0\nlo tun0 '"$(grep ^CapEff /proc/self/status)" ] || fail "plain root: $out"
# shellcheck disable=SC2016  # expanded by the command's shell
out=$(SUDO_UID=$UID_IN SUDO_GID=65534 SUDO_USER=$USER_IN "$CTL_BUILT" exec -n "$NS_VPN" -- \
  sh -c 'echo $(id -u) $(id -G) $USER; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status | tr -s "\t" " "')
[ "$out" = "$UID_IN 65534 $GID_GROUP $USER_IN"$'\nCapEff: 0000000000000000\nNoNewPrivs: 1' ] ||
  fail "through sudo: $out"
err=$("$CTL_BUILT" exec -n "$NS_CLI" -- true 2>&1) && fail "root entered a namespace without marker"
grep -q "is not a vpnns namespace: no marker" <<<"$err" || fail "root, unmarked namespace: $err"
pass "root: stays root (same capabilities); through sudo: the user, its groups, no capabilities; the same checks"
