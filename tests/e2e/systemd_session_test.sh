#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vpnns-execd under a real systemd: boots a Debian whose PID 1 is systemd in a container and runs
# tests/e2e/exec_session_test.sh inside it, where the command must land in
# vpnns-exec-NAME-PID.scope under its user's user-UID.slice (and have the user's limits, loginuid,
# nice and oom_score_adj, and the cap must survive a restart) — what the machines vpnns is
# installed on do, and what the CI host (whose PID 1 is not systemd) cannot show.
#
# The root file system is scripts/systemd-root's, debootstrapped once into
# /var/cache/vpnns-test (the first run takes one to five minutes, mostly the download; later runs
# about 15 s). It is booted with
#
#   systemd-nspawn -D ROOT --volatile=overlay --boot --register=no --keep-unit --private-network
#     --console=pipe --bind-ro=CHECKOUT [--bind-ro=BUILD]
#
# --volatile=overlay: every write goes to a tmpfs over the cached root, so nothing of a run stays
# in the cache; the checkout and the build tree are bound read-only at their own paths (the
# test's configurations name the plugin and helper by those paths); --private-network: the
# container's network namespace holds only a loopback, and everything the inner test creates
# (namespaces, veth, tun) is inside it. The inner test runs through `nsenter -t LEADER -a`
# (LEADER: the container's PID 1 as the host sees it), as root in the container.
#
# Nothing is skipped: no systemd-nspawn, no debootstrap or no root is a failure that says what
# to install. On every exit (trap) the container is halted (SIGTERM to systemd-nspawn, which
# asks systemd to power off), and if it does not go within 10 s its PID 1 is SIGKILLed — the
# kernel then ends every process of its PID namespace — and nspawn with it; its mounts live in
# its own mount namespace and go with it; nspawn's directory for the machine under
# /run/systemd/nspawn/propagate is removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${VPNNS_BUILD:-$src/build}
build=$(cd "$build" && pwd)
start=$SECONDS
ID=vn$$
machine=$ID-sysd

log() { echo "[systemd_session $((SECONDS - start)) s] $*"; }
fail() {
  log "FAIL: $*"
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (it boots a container)"
command -v systemd-nspawn >/dev/null ||
  fail "systemd-nspawn is not installed (apt-get install systemd-container; scripts/setup does)"
for f in ctl/vpnnsctl execd/vpnns-execd helper/vpnns-helper plugin/vpnns.so; do
  [ -e "$build/$f" ] || fail "not built: $build/$f"
done

work=$(mktemp -d "/tmp/vpnns-e2e-$ID.XXXXXX")
nspawn_pid=
leader=

cleanup() {
  local rc=$? i
  trap - EXIT
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$nspawn_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      log "the container did not halt within 10 s: SIGKILL to its PID 1 ($leader) and nspawn"
      [ -z "$leader" ] || kill -KILL "$leader" 2>/dev/null || true
      kill -KILL "$nspawn_pid" 2>/dev/null || true
    fi
    wait "$nspawn_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -s "$work/nspawn.log" ]; then
    echo "--- systemd-nspawn's output (last 20 lines)"
    tail -n 20 "$work/nspawn.log"
  fi
  rmdir "/run/systemd/nspawn/propagate/$machine" 2>/dev/null || true
  rm -rf "$work"
  log "done (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

root=$("$src/scripts/systemd-root" | tail -n 1) || fail "no systemd root file system (scripts/systemd-root)"
log "root file system $root"

binds=(--bind-ro="$src")
[[ $build == "$src"/* ]] || binds+=(--bind-ro="$build")
systemd-nspawn -D "$root" --volatile=overlay --boot --register=no --keep-unit --private-network \
  --console=pipe --machine="$machine" "${binds[@]}" </dev/null >"$work/nspawn.log" 2>&1 &
nspawn_pid=$!

# The container's PID 1: nspawn's child whose innermost pid is 1.
find_leader() {
  local p
  for p in $(pgrep -P "$nspawn_pid"); do
    if awk '$1 == "NSpid:" && $NF == 1 {found = 1} END {exit !found}' "/proc/$p/status" 2>/dev/null; then
      leader=$p
      return 0
    fi
  done
  return 1
}
for ((i = 0; i < 100; i++)); do
  find_leader && break
  kill -0 "$nspawn_pid" 2>/dev/null || fail "systemd-nspawn exited"
  sleep 0.1
done
[ -n "$leader" ] || fail "no container PID 1 within 10 s"
in_container() { nsenter -t "$leader" -a "$@"; }
# Until the manager answers, systemctl fails or says "offline"; then --wait waits for the boot.
for ((i = 0; i < 300; i++)); do
  state=$(timeout 30 nsenter -t "$leader" -a systemctl is-system-running --wait 2>&1) || true
  [[ $state == running || $state == degraded ]] && break
  sleep 0.1
done
case $state in
  running) ;;
  degraded) log "booted, degraded: $(in_container systemctl --failed --no-legend --plain | tr '\n' ' ')" ;;
  *) fail "the container did not boot: '$state'" ;;
esac
[ "$(in_container readlink /proc/1/exe)" = /usr/lib/systemd/systemd ] ||
  [ "$(in_container readlink /proc/1/exe)" = /lib/systemd/systemd ] || fail "PID 1 is not systemd"
log "booted systemd $(in_container systemctl --version | awk 'NR == 1 {print $2}') as PID 1 (host pid $leader)"

# The inner test, with the build's files and the container's openvpn (Debian's, as here).
rc=0
in_container env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  VPNNS_BUILD="$build" VPNNS_PLUGIN="${VPNNS_PLUGIN:-$build/plugin/vpnns.so}" \
  VPNNS_HELPER="${VPNNS_HELPER:-$build/helper/vpnns-helper}" \
  VPNNS_DNS_UPDOWN="${VPNNS_DNS_UPDOWN:-$build/helper/vpnns-dns-updown}" \
  bash "$here/exec_session_test.sh" || rc=$?
[ "$rc" -eq 0 ] || fail "the test inside the container failed (exit $rc)"
log "ok: under systemd as PID 1, vpnns-execd's commands run in their user's slice"
