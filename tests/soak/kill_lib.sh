# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The crash soak shared by kill_netns_test.sh and kill_seal_test.sh: SOAK_KILLS (default 50)
# times, start a fresh openvpn client and SIGKILL it after a random delay spread over its whole
# start-up and a little beyond — before the plugin spawned the helper, while the helper starts
# (and, in netns mode, creates the namespace), during the handshake and the seal, while the
# helper moves and configures the tun, after "Initialization Sequence Completed" — and check
# that within a second nothing of vpnns is left: no process in openvpn's namespace (so no
# helper), no vpnns table there, the tun gone; in netns mode the protected namespace with only
# lo and no route, no /etc/netns files (soak_lib.sh's leftovers).
#
# The delays come from bash's generator seeded with SOAK_SEED (default: random, printed), so a
# failing run can be replayed with the same delays: SOAK_SEED=N bash tests/soak/kill_*_test.sh.
# The delay is waited for without forking (read -t on a pipe that never has data), so the kill
# lands within about a millisecond of it. Where each kill landed is told by the last milestone
# in that run's log; the summary counts them, so a reader sees the kills really spread over the
# lifecycle, and $WORK/kills.log (printed if the test fails) has one line per kill.
source "$(dirname "${BASH_SOURCE[0]}")/soak_lib.sh"

KILLS=${SOAK_KILLS:-50}
SEED=${SOAK_SEED:-$((($$ * 7919 + ${EPOCHREALTIME//[!0-9]/}) % 32768))}

# The milestones of a client's start-up, in order, as openvpn's log shows them (seal mode has
# no UP or ROUTE_UP line of its own). A kill's phase is the last one its run's log reached:
# "handshake" means killed while the helper sealed, "tun_opened" while it moved and configured
# the device, "route_up" while openvpn dropped privileges.
MILESTONES=(
  "1-starting:"
  "2-helper_ready:PLUGIN_INIT: POST"
  "3-handshake:Peer Connection Initiated"
  "4-sealed:PLUGIN vpnns: IPCHANGE"
  "5-tun_opened:TUN/TAP device tun0 opened"
  "6-up:PLUGIN vpnns: UP"
  "7-route_up:PLUGIN vpnns: ROUTE_UP"
  "8-connected:Initialization Sequence Completed"
)
phase_of_log() {
  local i m
  if [ ! -s "$WORK/client.log" ]; then
    echo 0-exec
    return
  fi
  for ((i = ${#MILESTONES[@]} - 1; i > 0; i--)); do
    m=${MILESTONES[$i]}
    if grep -qF -- "${m#*:}" "$WORK/client.log"; then
      echo "${m%%:*}"
      return
    fi
  done
  echo "${MILESTONES[0]%%:*}"
}

# pause_us N: waits N microseconds without starting a process.
pause_us() {
  [ "$1" -gt 0 ] || return 0
  read -r -t "$(($1 / 1000000)).$(printf '%06d' $(($1 % 1000000)))" -u "$NEVER_FD" _ || true
}

# start_victim: starts the client openvpn like lib.sh's start_client, but without our pipe
# (NEVER_FD) and disowned (bash reaps it; no "Killed" notice for each of fifty).
start_victim() {
  : >"$WORK/client.log"
  nsenter --net="/run/netns/$NS_CLI" "${OPENVPN[@]}" --config "$WORK/client.conf" \
    >/dev/null 2>&1 {NEVER_FD}<&- &
  CLIENT_PID=$!
  STARTED_PIDS+=("$CLIENT_PID")
  disown "$CLIENT_PID"
}

# check_clean MODE WHAT: right after a SIGKILL of $CLIENT_PID. Polls (cheaply) until no process
# is left in openvpn's namespace — openvpn dead, and its helper exited, which it does only after
# its teardown — and fails if that takes more than a second; GONE_US is the time from the kill
# to the end of the check that saw none. Then checks once that nothing else is left: with
# openvpn and the helper gone nothing can change it any more, so what this sees is the state at
# GONE_US. openvpn is then dropped from the EXIT trap's list.
check_clean() {
  local mode=$1 what=$2 t0=${EPOCHREALTIME//[!0-9]/} left
  POLL_STEP=0.002 poll_ms 1000 no_procs_in "$NS_CLI" ||
    fail "$what (phase $(phase_of_log)): a second after the SIGKILL: $(leftovers "$mode")"
  GONE_US=$((${EPOCHREALTIME//[!0-9]/} - t0))
  left=$(leftovers "$mode")
  [ -z "$left" ] || fail "$what (phase $(phase_of_log)): after the helper exited: $left"
  forget_pid "$CLIENT_PID"
}

# kill_soak MODE: MODE is netns or seal (what leftovers checks).
kill_soak() {
  local mode=$1 i t0 window span delay_us at_us phase start_us max_gone=0 sum_gone=0 fresh=0 p
  local summary="" note="" times=()
  local -A phases=()
  exec {NEVER_FD}<> <(:)

  # The connect window: the median of three connects (the first also creates the namespace),
  # each ended by a SIGKILL that is checked like the others.
  for i in 1 2 3; do
    t0=${EPOCHREALTIME//[!0-9]/}
    start_victim
    POLL_STEP=0.001 poll_ms 20000 grep -qF 'Initialization Sequence Completed' "$WORK/client.log" ||
      fail "calibration: the client did not connect"
    times+=($(((${EPOCHREALTIME//[!0-9]/} - t0) / 1000)))
    kill -KILL "$CLIENT_PID"
    check_clean "$mode" "calibration kill $i"
  done
  window=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
  # Delays span the window and a quarter more, so about a fifth of the kills hit a connected
  # openvpn, some of them while it still drops privileges.
  span=$((window * 1250))
  log "connect window $window ms (median of ${times[*]});" \
    "$KILLS kills at delays in [0, $((span / 1000))] ms; seed $SEED (replay: SOAK_SEED=$SEED)"

  RANDOM=$SEED
  start_us=${EPOCHREALTIME//[!0-9]/}
  for ((i = 1; i <= KILLS; i++)); do
    # Two draws make 30 bits, enough for microseconds over seconds.
    delay_us=$(((RANDOM << 15 | RANDOM) % (span + 1)))
    # In netns mode every other run starts without the protected namespace, so that kills also
    # land while the helper creates it.
    if [ "$mode" = netns ] && ((i % 2 == 1)); then
      [ ! -e "/run/netns/$NS_VPN" ] || ip netns del "$NS_VPN"
      fresh=$((fresh + 1))
    fi
    t0=${EPOCHREALTIME//[!0-9]/}
    start_victim
    pause_us $((t0 + delay_us - ${EPOCHREALTIME//[!0-9]/}))
    kill -KILL "$CLIENT_PID"
    at_us=$((${EPOCHREALTIME//[!0-9]/} - t0))
    check_clean "$mode" "kill $i/$KILLS at $((at_us / 1000)) ms (delay $delay_us us)"
    phase=$(phase_of_log)
    phases[$phase]=$((${phases[$phase]:-0} + 1))
    printf 'kill %d: delay %d us, killed at %d us, phase %s, no process after %d us\n' \
      "$i" "$delay_us" "$at_us" "$phase" "$GONE_US" >>"$WORK/kills.log"
    [ "$GONE_US" -le "$max_gone" ] || max_gone=$GONE_US
    sum_gone=$((sum_gone + GONE_US))
  done
  exec {NEVER_FD}<&-

  pass "$KILLS SIGKILLs: every time, within a second, nothing of vpnns was left"
  for p in $(printf '%s\n' "${!phases[@]}" | sort); do summary+=" ${p#*-} ${phases[$p]},"; done
  [ "$mode" != netns ] || note=" ($fresh starting without the namespace)"
  log "summary: $KILLS kills in $(((${EPOCHREALTIME//[!0-9]/} - start_us) / 1000)) ms$note;" \
    "last milestone before the kill:${summary%,}"
  log "  no process left after the kill: mean $((sum_gone / KILLS / 1000)) ms, max $((max_gone / 1000)) ms (limit 1000 ms)"
}
