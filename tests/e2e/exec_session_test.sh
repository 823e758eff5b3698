#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A command started by vpnns-execd runs as part of its caller's user session (execd/
# user_session.h), and the per-user cap survives a restart of the service (execd/
# session_registry.h). Against a real netns-mode tunnel (Debian's openvpn), as a test user.
#
# Runs in two places, and says which:
#  * here, where systemd is not PID 1: vpnns-execd's log says the fallback, and the command stays
#    in the service's cgroup;
#  * inside a booted Debian whose PID 1 is systemd (tests/e2e/systemd_session_test.sh runs this
#    script there): the caller logs in (runuser -l: pam_systemd gives it a logind session, which
#    is asserted), vpnns-execd runs socket-activated as vpnns-execd.socket runs it (a transient
#    socket unit and service), and the command must be in vpnns-exec-NAME-PID.scope under
#    user-UID.slice; at the end, stopping the user's slice (a logout with KillUserProcesses=)
#    ends the command.
#
# In both, the service runs with a context of its own that must not reach the command (nice 7,
# oom_score_adj 300, nofile 555:5555), and a limits.d file names the test user and its group
# (/etc/security/limits.d/vpnns-test-ID.conf, removed at exit; scripts/sweep knows the name):
# the command has those limits, nice 4 (the file's priority), oom_score_adj 0, the user's
# loginuid and an audit session of its own.
#
# The cap: with --max-sessions-per-user=2 two long commands run; a third is refused; the
# service is killed (SIGKILL, as a crash) and started again (by hand; under systemd by the socket,
# at the next connection): it adopts the two sessions (its log says so) and still refuses the
# third; when one of the two ends, a third is accepted.
TEST_NAME="exec_session"
source "$(dirname "$0")/lib.sh"

CTL_BUILT=${VPNNS_CTL:-$BUILD/ctl/vpnnsctl}
EXECD_BUILT=${VPNNS_EXECD:-$BUILD/execd/vpnns-execd}
for f in "$CTL_BUILT" "$EXECD_BUILT"; do
  [ -x "$f" ] || fail "not built: $f"
done
SYSTEMD=0
[ -d /run/systemd/system ] && SYSTEMD=1
if [ "$SYSTEMD" = 1 ]; then log "systemd is PID 1 here"; else log "systemd is not PID 1 here: the fallback"; fi

GROUP=$ID-grp
USER_IN=$ID-in
SOCK=$WORK/exec.sock
RECORDS=$SOCK.sessions
LIMITS=/etc/security/limits.d/vpnns-test-$ID.conf
EXECD_PIDS=()
UNITS=()

remove_session_things() {
  local u pid
  for u in "${UNITS[@]}"; do systemctl kill --kill-whom=all -s KILL "$u" 2>/dev/null || true; done
  for u in "${UNITS[@]}"; do systemctl stop "$u" 2>/dev/null || true; done
  [ "$SYSTEMD" = 0 ] || systemctl stop "vpnns-exec-$NS_VPN-*.scope" 2>/dev/null || true
  # Sessions of every service we started (also those a killed service left): by their records.
  # ...and a session only while its pid is still that session (the record's start time).
  local sessions=("${EXECD_PIDS[@]}") record start
  for record in "$RECORDS"/[0-9]*; do
    [ -e "$record" ] || continue
    pid=${record##*/}
    start=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f20) || continue
    [ "$(cut -d' ' -f2 "$record")" = "$start" ] && sessions+=("$pid")
  done
  for pid in "${sessions[@]}"; do
    pgrep -P "$pid" | xargs -r kill -KILL 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
  if getent passwd "$USER_IN" >/dev/null; then
    pkill -KILL -U "$USER_IN" 2>/dev/null || true
    wait_for 5 sh -c "! pgrep -U $USER_IN >/dev/null" || true
    userdel "$USER_IN" 2>/dev/null || true
  fi
  if getent group "$GROUP" >/dev/null; then groupdel "$GROUP" 2>/dev/null || true; fi
  rm -f "$LIMITS"
}
at_exit remove_session_things

setup_topology
make_pki
server_conf
client_conf "netns=$NS_VPN helper=$HELPER"
start_server
start_client
wait_connected

# --- The user, its limits, the binaries it runs.
groupadd "$GROUP"
useradd -M -N -g nogroup -G "$GROUP" -d "$WORK/home" -s /bin/bash "$USER_IN"
mkdir "$WORK/home" && chown "$USER_IN" "$WORK/home"
UID_IN=$(id -u "$USER_IN")
cat >"$LIMITS" <<EOF
# vpnns test $ID (tests/e2e/exec_session_test.sh): removed when the test ends
$USER_IN soft nofile 321
$USER_IN hard nofile 4321
@$GROUP soft stack 2048
@$GROUP hard stack 8192
$USER_IN - msgqueue 123456
$USER_IN - priority 4
EOF
CTL=$WORK/vpnnsctl  # the build tree may not be readable by others
install -m 0755 "$CTL_BUILT" "$CTL"
cd "$WORK" || exit 1

# as_user COMMAND...: COMMAND as the test user, the way a logged-in user runs it.
as_user() {
  if [ "$SYSTEMD" = 1 ]; then
    runuser -l "$USER_IN" -c "$(printf '%q ' env VPNNS_EXEC_SOCKET="$SOCK" "$@")"
  else
    setpriv --reuid="$USER_IN" --regid=nogroup --init-groups env -i PATH=/usr/bin:/bin \
      HOME="$WORK/home" VPNNS_EXEC_SOCKET="$SOCK" "$@"
  fi
}
if [ "$SYSTEMD" = 1 ]; then
  caller_cgroup=$(as_user cat /proc/self/cgroup | grep '^0::')
  [[ $caller_cgroup == "0::/user.slice/user-$UID_IN.slice/session-"*.scope ]] ||
    fail "the caller has no logind session: $caller_cgroup"
  pass "the caller runs in a logind session (${caller_cgroup#0::})"
fi

# start_execd N: the service (its N-th start), with a context of its own (see the top). Under
# systemd as vpnns-execd.socket runs it: a socket unit whose service starts at the next
# connection (and again after it died; N > 1: nothing to do); here by hand, waiting until it
# serves. Sets EXECD_PID here; under systemd service_pid says it.
start_execd() {
  if [ "$SYSTEMD" = 1 ]; then
    if [ "$1" = 1 ]; then
      UNITS+=("$ID-execd.socket" "$ID-execd.service")
      systemd-run --quiet --unit="$ID-execd" --socket-property=ListenSequentialPacket="$SOCK" \
        --socket-property=SocketGroup="$GROUP" --socket-property=SocketMode=0660 \
        -p KillMode=process -p Nice=7 -p OOMScoreAdjust=300 -p LimitNOFILE=555:5555 \
        -p StandardOutput="append:$WORK/execd.log" -p StandardError="append:$WORK/execd.log" \
        "$EXECD_BUILT" --group="$GROUP" --max-sessions-per-user=2
      wait_for 5 test -S "$SOCK" || fail "no socket unit listening on $SOCK"
    fi
    return
  fi
  prlimit --nofile=555:5555 nice -n 7 choom -n 300 -- "$EXECD_BUILT" --socket="$SOCK" \
    --group="$GROUP" --max-sessions-per-user=2 2>>"$WORK/execd.log" &
  EXECD_PID=$!
  STARTED_PIDS+=("$EXECD_PID")
  EXECD_PIDS+=("$EXECD_PID")
  wait_for 5 test -S "$SOCK" || fail "vpnns-execd did not create its socket"
  # Its last start-up line, the N-th in the log: it serves from now on.
  wait_for 5 sh -c "[ \$(grep -c -e '^vpnns-execd: fallback' $WORK/execd.log) -ge $1 ]" ||
    fail "vpnns-execd did not start"
}
service_pid() { systemctl show -P MainPID "$ID-execd.service"; }
start_execd 1

# --- What the command is part of.
# shellcheck disable=SC2016  # expanded by the command's shell
out=$(as_user "$CTL" exec -n "$NS_VPN" -- sh -c '
  echo "pid $$"
  echo "cgroup $(grep "^0::" /proc/self/cgroup)"
  echo "loginuid $(cat /proc/self/loginuid) session $(cat /proc/self/sessionid)"
  echo "nice $(ps -o ni= -p $$ | tr -d " ") oom $(cat /proc/self/oom_score_adj)"
  grep -E "^Max (open files|stack size|msgqueue size)" /proc/self/limits | tr -s " "') ||
  fail "the command did not run: $out"
[ "$SYSTEMD" = 0 ] || EXECD_PID=$(service_pid)
grep -q "$([ "$SYSTEMD" = 1 ] && echo 'systemd is PID 1: each command runs in a transient scope' ||
  echo 'fallback: systemd is not PID 1')" "$WORK/execd.log" || fail "execd's log does not say how it runs commands"
pass "vpnns-execd says at start how commands join their user's session"
field() { awk -v k="$1" '$1 == k {print $2}' <<<"$out"; }
pid=$(field pid)
cgroup=$(field cgroup)
if [ "$SYSTEMD" = 1 ]; then
  want="0::/user.slice/user-$UID_IN.slice/vpnns-exec-$NS_VPN-$pid.scope"
  [ "$cgroup" = "$want" ] || fail "cgroup: $cgroup, not $want"
  grep -q "pid $pid runs as $USER_IN (uid $UID_IN); in vpnns-exec-$NS_VPN-$pid.scope under user-$UID_IN.slice" \
    "$WORK/execd.log" || fail "execd's log does not name the scope"
  pass "the command ran in vpnns-exec-$NS_VPN-$pid.scope under user-$UID_IN.slice"
else
  service_cgroup=$(grep '^0::' "/proc/$EXECD_PID/cgroup")
  [ "$cgroup" = "$service_cgroup" ] || fail "cgroup: $cgroup, not the service's $service_cgroup"
  grep -q "pid $pid runs as $USER_IN (uid $UID_IN); fallback, systemd is not PID 1: not in user-$UID_IN.slice" \
    "$WORK/execd.log" || fail "execd's log does not say the fallback for pid $pid"
  pass "fallback said in execd's log; the command stayed in the service's cgroup"
fi
[ "$(field loginuid)" = "$UID_IN" ] || fail "loginuid: $(field loginuid), not $UID_IN"
session=$(awk '$1 == "loginuid" {print $4}' <<<"$out")
if [ -z "$session" ] || [ "$session" = 4294967295 ]; then fail "no audit session: '$session'"; fi
grep -q "pid $pid .*loginuid $UID_IN, audit session $session" "$WORK/execd.log" ||
  fail "execd's log does not name loginuid and audit session"
pass "loginuid $UID_IN (the user's), audit session $session"
[ "$(awk '$1 == "nice" {print $2, $4}' <<<"$out")" = "4 0" ] ||
  fail "nice and oom_score_adj: $(grep '^nice' <<<"$out"), not 4 (limits.d) and 0"
grep -q "^Max open files 321 4321 files" <<<"$out" || fail "nofile: $out"
grep -q "^Max stack size 2097152 8388608 bytes" <<<"$out" || fail "stack (@group, KiB): $out"
grep -q "^Max msgqueue size 123456 123456 bytes" <<<"$out" || fail "msgqueue: $out"
grep -q "limits: .*nofile 321:4321 ($LIMITS:2,3)" "$WORK/execd.log" ||
  fail "execd's log does not name the limits and where they come from"
pass "limits from $LIMITS (nofile, @group stack, msgqueue), nice 4; not the service's nice 7, oom_score_adj 300, nofile 555:5555"

# --- The per-user cap across a restart.
long_command() {
  as_user "$CTL" exec -n "$NS_VPN" -- sleep 300 >/dev/null 2>&1 &
  STARTED_PIDS+=($!)
}
records() { find "$RECORDS" -maxdepth 1 -name '[0-9]*' | wc -l; }
user_sleeps() { pgrep -U "$USER_IN" -x sleep | wc -l; }
long_command
long_command
wait_for 10 sh -c "[ \$(pgrep -U $USER_IN -x sleep | wc -l) -eq 2 ]" || fail "two long commands did not start"
[ "$(records)" -eq 2 ] || fail "$(records) session records, not 2"
third() { as_user "$CTL" exec -n "$NS_VPN" -- true 2>&1; }
msg=$(third) && fail "a third command ran over the cap of 2"
[[ $msg == *"already runs 2 commands through vpnns-execd"* ]] || fail "over the cap: $msg"
pass "a third command is refused: $msg"

old=$EXECD_PID
if [ "$SYSTEMD" = 1 ]; then
  systemctl kill --kill-whom=main -s KILL "$ID-execd.service"
else
  kill -KILL "$old"
fi
wait_gone "$old" 5 || fail "vpnns-execd $old did not die"
forget "$old"
EXECD_PIDS=()
[ "$(user_sleeps)" -eq 2 ] || fail "the commands did not outlive the service"
start_execd 2
msg=$(third) && fail "after a restart, a third command ran over the cap of 2"
[[ $msg == *"already runs 2 commands"* ]] || fail "over the cap after a restart: $msg"
grep -q "2 sessions of an earlier vpnns-execd still run" "$WORK/execd.log" ||
  fail "the new vpnns-execd did not adopt the running sessions"
if [ "$SYSTEMD" = 1 ]; then
  EXECD_PID=$(service_pid)
  if [ "$EXECD_PID" -eq 0 ] || [ "$EXECD_PID" = "$old" ]; then fail "the socket started no new service"; fi
fi
pass "killed and restarted, vpnns-execd still counts the 2 running sessions and refuses a third"

pkill -U "$USER_IN" -x sleep -n
wait_for 5 sh -c "[ \$(pgrep -U $USER_IN -x sleep | wc -l) -eq 1 ]" || fail "a long command did not end"
wait_for 5 sh -c "[ \$(find $RECORDS -maxdepth 1 -name '[0-9]*' | wc -l) -eq 1 ]" ||
  fail "the ended session's record stayed: $(ls "$RECORDS")"
msg=$(third) || fail "with one session ended, a command was refused: $msg"
pass "when an adopted session ends, its record goes and its place is free again"

if [ "$SYSTEMD" = 1 ]; then
  # What logind does at logout with KillUserProcesses=yes: the user's slice stopped, everything
  # in it ended — now including the command, which before ran in the service's cgroup.
  systemctl stop "user-$UID_IN.slice"
  wait_for 10 sh -c "! pgrep -U $USER_IN -x sleep >/dev/null" ||
    fail "stopping user-$UID_IN.slice left the user's command running"
  pass "stopping user-$UID_IN.slice (a logout with KillUserProcesses=yes) ends the command"
fi
