#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Soak: SOAK_CYCLES (default 200) reconnects of one netns-mode client (seal=yes too, so there is
# an nft ruleset to keep; user nobody, chroot, persist-tun), a mix of SIGUSR1 and ping-restart:
# every SOAK_PING_EVERY-th cycle (default 100) the server's namespace drops everything to and from
# the client's current UDP port until openvpn's ping-restart fires.
#
# After every reconnect: the same helper process (no re-spawn); its descriptor count, and
# openvpn's (where the plugin lives), identical to after the first connect; the helper's RSS
# within SOAK_RSS_SLACK_KB (default 16, four pages) of its value after a warm-up of 10 cycles (in
# case malloc's arenas or lazily touched pages settle; here the RSS does not move at all); the
# whole managed state (protected namespace: links, addresses, routes, nft ruleset, /etc/netns
# files; openvpn's namespace: links, routes, nft ruleset with the seal) identical to after the
# first connect; a ping through the tunnel. At the end: exactly as many restarts in openvpn's
# log as the test caused, and a summary (cycles, time per cycle, fds and RSS first/last/max).
#
# Speed. openvpn pauses connect-retry seconds before every restart (socket_restart_pause in
# src/openvpn/init.c: `sec = connect_retry_seconds` for a UDP client; its exponential backoff
# counts only unsuccessful attempts, reset at every connect): `connect-retry 0 0` removes the
# pause, and a SIGUSR1 reconnect is one TLS handshake plus a push, ~25 ms here (lib.sh's P-256
# keys keep the handshake cheap; hand-window and tls-timeout never come into play, since no
# packet is lost). A ping-restart cycle costs the silence openvpn must see: `keepalive 1 3` on
# the server (pushed as ping 1, ping-restart 3) is the shortest that never fires by itself:
# openvpn's timers count whole seconds, so ping-restart 3 fires after 2-4 s of silence while
# pings arrive ~1 s apart; ping-restart 2 could fire after a gap of just over 1 s. A ping-restart
# cycle thus costs as much as some fifty SIGUSR1 cycles with their checks. Two of them (cycles 100
# and 200) prove what ten did — the path is the same every time, and the first comes after a
# hundred SIGUSR1 reconnects, the second ends the run — at a fifth of the waiting (the test runs
# once per openvpn line).
TEST_NAME=soak-restart
source "$(dirname "$0")/soak_lib.sh"

CYCLES=${SOAK_CYCLES:-200}
PING_EVERY=${SOAK_PING_EVERY:-100}
RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-16}
WARMUP=10
if [ "$CYCLES" -lt 1 ] || [ "$PING_EVERY" -lt 1 ]; then
  fail "SOAK_CYCLES and SOAK_PING_EVERY must be at least 1"
fi

# An AddressSanitizer build's helper keeps freed memory in ASan's quarantine (up to 256 MB) by
# design, so its RSS grows without any leak: there the RSS is reported, not asserted; the
# descriptor and state checks hold for every build.
RSS_ASSERTED=1
if ldd "$HELPER" | grep -q libasan; then
  RSS_ASSERTED=0
  log "the helper is built with AddressSanitizer: helper RSS reported, not asserted"
fi

setup_topology
make_pki
server_conf "keepalive 1 3"
client_conf "netns=$NS_VPN seal=yes helper=$HELPER" "connect-retry 0 0" "verb 3"
TABLE=vpnns-client
start_server
start_client
wait_connected
HELPER_PID=$(helper_pid "$CLIENT_PID")
[ -n "$HELPER_PID" ] || fail "no helper process"
# The baseline is taken once the seal accepts openvpn's user (the helper learns it when openvpn
# drops privileges, right after the first connect; that watch then ends).
sealed_uids() { in_ns "$NS_CLI" nft list set inet "$TABLE" uids | tr -d '\n\t' | sed 's/.*elements = { \([^}]*\) }.*/\1/'; }
uids_are() { [ "$(sealed_uids)" = "$1" ]; }
poll_ms 5000 uids_are "0, 65534" || fail "openvpn's user was not added to the seal: $(sealed_uids)"
vpn_state >"$WORK/state.first"
grep -q "^default dev tun0" "$WORK/state.first" || fail "not connected as expected: $(cat "$WORK/state.first")"
grep -q "table inet $TABLE" "$WORK/state.first" || fail "no seal table after the first connect"
HELPER_FDS=$(fd_count "$HELPER_PID")
OPENVPN_FDS=$(fd_count "$CLIENT_PID")
stat_add helper_fds "$HELPER_FDS"
stat_add openvpn_fds "$OPENVPN_FDS"
stat_add helper_rss "$(rss_kb "$HELPER_PID")"
log "first connect: helper pid $HELPER_PID, $HELPER_FDS fds, $(rss_kb "$HELPER_PID") kB RSS; openvpn $OPENVPN_FDS fds"

tunnel_ping() { nsenter --net="/run/netns/$NS_VPN" ping -c 1 -W 2 -q 192.0.2.1 >/dev/null; }
tunnel_ping || fail "no ping through the tunnel after the first connect"

completed() { [ "$(count_in_log 'Initialization Sequence Completed')" -ge "$1" ]; }
timed_out() { [ "$(count_in_log 'Inactivity timeout (--ping-restart)')" -ge "$1" ]; }

usr1=0 pings=0 usr1_us=0 ping_us=0 check_us=0 rss_base=0
start_us=$(now_us)
for ((cycle = 1; cycle <= CYCLES; cycle++)); do
  t0=$(now_us)
  if ((cycle % PING_EVERY == 0)); then
    port=$(client_udp_port)
    [ -n "$port" ] || fail "cycle $cycle: cannot find openvpn's UDP socket"
    block_client_port "$port"
    poll_ms 8000 timed_out $((pings + 1)) || fail "cycle $cycle: no ping-restart 8 s after the server went silent"
    poll_ms 20000 completed $((cycle + 1)) || fail "cycle $cycle: no reconnect after ping-restart"
    unblock_client_port
    pings=$((pings + 1))
    ping_us=$((ping_us + $(now_us) - t0))
  else
    kill -USR1 "$CLIENT_PID"
    poll_ms 20000 completed $((cycle + 1)) || fail "cycle $cycle: no reconnect after SIGUSR1"
    usr1=$((usr1 + 1))
    usr1_us=$((usr1_us + $(now_us) - t0))
  fi

  t1=$(now_us)
  # In two of three full scripts/test runs this read once found the helper gone (2.7, cycles 90 and
  # 139), never in a dozen runs of this test alone: a second look after 200 ms tells a glitch from
  # a dead helper (logged either way), and the process table below says which it was.
  if [ "$(ppid_of "$HELPER_PID")" != "$CLIENT_PID" ]; then
    log "cycle $cycle: helper $HELPER_PID not seen as openvpn's child; looking again"
    sleep 0.2
  fi
  if [ "$(ppid_of "$HELPER_PID")" != "$CLIENT_PID" ]; then
    # Say what the process table holds before failing: openvpn's children and the helper.
    ps -eo pid,ppid,pgid,stat,comm | awk -v c="$CLIENT_PID" -v h="$HELPER_PID" \
      'NR == 1 || $1 == c || $2 == c || $1 == h' >&2
    fail "cycle $cycle: helper $HELPER_PID is gone (its parent: '$(ppid_of "$HELPER_PID")')"
  fi
  hfds=$(fd_count "$HELPER_PID")
  ofds=$(fd_count "$CLIENT_PID")
  rss=$(rss_kb "$HELPER_PID")
  stat_add helper_fds "$hfds"
  stat_add openvpn_fds "$ofds"
  stat_add helper_rss "$rss"
  if [ "$hfds" != "$HELPER_FDS" ]; then
    ls -l "/proc/$HELPER_PID/fd" >&2
    fail "cycle $cycle: the helper holds $hfds descriptors, $HELPER_FDS after the first connect"
  fi
  [ "$ofds" = "$OPENVPN_FDS" ] ||
    fail "cycle $cycle: openvpn holds $ofds descriptors, $OPENVPN_FDS after the first connect"
  ((cycle != WARMUP)) || rss_base=$rss
  if ((RSS_ASSERTED && cycle > WARMUP && rss > rss_base + RSS_SLACK_KB)); then
    fail "cycle $cycle: helper RSS $rss kB, more than $RSS_SLACK_KB kB above $rss_base kB after the warm-up"
  fi
  vpn_state >"$WORK/state.now"
  if ! cmp -s "$WORK/state.first" "$WORK/state.now"; then
    diff -u "$WORK/state.first" "$WORK/state.now" >&2 || true
    fail "cycle $cycle: the managed state differs from after the first connect"
  fi
  tunnel_ping || fail "cycle $cycle: no ping through the tunnel"
  check_us=$((check_us + $(now_us) - t1))
done
total_us=$(($(now_us) - start_us))

# Every restart was one the test caused: none fired by itself (a spurious ping-restart would
# mean the timings above are not what this comment block claims).
[ "$(count_in_log 'SIGUSR1[hard,] received')" = "$usr1" ] ||
  fail "openvpn restarted on SIGUSR1 $(count_in_log 'SIGUSR1[hard,] received') times, sent $usr1"
[ "$(count_in_log 'Inactivity timeout (--ping-restart)')" = "$pings" ] ||
  fail "openvpn saw $(count_in_log 'Inactivity timeout (--ping-restart)') ping-restarts, caused $pings"
rss_verdict="RSS flat"
((RSS_ASSERTED)) || rss_verdict="RSS not asserted (ASan)"
pass "$CYCLES cycles: same helper, fds identical, $rss_verdict, state identical, ping after each"

ms() { printf '%d.%03d' $(($1 / 1000000)) $(($1 / 1000 % 1000)); }
per() { [ "$2" -gt 0 ] && echo "$(($1 / $2 / 1000)) ms" || echo "-"; }
log "summary: $CYCLES cycles in $(ms "$total_us") s ($usr1 SIGUSR1, $pings ping-restart)"
log "  per cycle: SIGUSR1 reconnect $(per "$usr1_us" "$usr1")," \
  "ping-restart reconnect $(per "$ping_us" "$pings"), checks $(per "$check_us" "$CYCLES")"
log "  helper fds:  $(stat_line helper_fds)"
log "  openvpn fds: $(stat_line openvpn_fds)"
if ((CYCLES >= WARMUP)); then
  log "  helper RSS kB: $(stat_line helper_rss); after warm-up (cycle $WARMUP) $rss_base, allowed +$RSS_SLACK_KB"
else
  log "  helper RSS kB: $(stat_line helper_rss); fewer cycles than the warm-up ($WARMUP): not asserted"
fi
