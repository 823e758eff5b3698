#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, installed on this machine and used as installed.
#
# Builds the .deb from the build tree (cpack), checks its control data and contents, installs it
# with apt-get (dependencies resolved by apt, as a user would), then runs the netns end-to-end
# test against the installed files only — `plugin /usr/lib/openvpn/vpnns.so` and the default
# helper path — and checks the man pages, vpnnsctl, the units and the group. At the end (also on
# failure) the package is purged and the `vpnns` group removed if this test created it.
#
# It refuses to run on a machine where a vpnns package is already installed: it would replace
# someone's installation.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${VPNNS_BUILD:-$ROOT/build}
WORK=$(mktemp -d /tmp/vpnns-pkg.XXXXXX)
INSTALLED=0
GROUP_EXISTED=0
getent group vpnns >/dev/null && GROUP_EXISTED=1

log() { printf '[pkg] %s\n' "$*"; }
fail() {
  log "FAIL: $*"
  exit 1
}
cleanup() {
  local rc=$?
  if [ "$INSTALLED" = 1 ]; then
    dpkg --purge vpnns >/dev/null 2>&1 || log "purging vpnns failed"
  fi
  if [ "$GROUP_EXISTED" = 0 ] && getent group vpnns >/dev/null; then groupdel vpnns; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' vpnns 2>/dev/null | grep -q installed; then
  fail "a vpnns package is already installed here; this test installs and purges its own"
fi

# --- build and inspect ----------------------------------------------------------------------
(cd "$BUILD" && cpack -G DEB -B "$WORK" >/dev/null) || fail "cpack failed"
DEB=$(ls "$WORK"/vpnns_*_*.deb)
log "built $(basename "$DEB") ($(du -h "$DEB" | cut -f1))"
depends=$(dpkg-deb -f "$DEB" Depends)
for dep in "openvpn (>= 2.6)" libmnl0 libnftnl11 libcap-ng0 libseccomp2 libsystemd0 libstdc++6; do
  grep -qF "$dep" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
contents=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/lib/x86_64-linux-gnu/openvpn/plugins/vpnns.so /usr/lib/openvpn/vpnns.so \
  /usr/libexec/vpnns/vpnns-helper /usr/libexec/vpnns/vpnns-dns-updown /usr/bin/vpnnsctl /usr/share/man/man8/vpnns.8.gz \
    /usr/share/man/man1/vpnnsctl.1.gz /lib/systemd/system/vpnns-netns@.service \
  /usr/sbin/vpnns-execd /lib/systemd/system/vpnns-execd.socket \
  /lib/systemd/system/vpnns-execd.service /usr/lib/systemd/user/vpnns-forward@.service \
  /usr/share/vpnns/systemd/openvpn-client@.service.d/vpnns.conf \
  /usr/share/doc/vpnns/copyright /usr/share/doc/vpnns/examples/server/firewall.nft \
  /usr/share/doc/vpnns/examples/exec-policy; do
  grep -qx "$f" <<<"$contents" || fail "the package lacks $f"
done
log "control data and contents as expected; Depends: $depends"

# --- install as a user would ----------------------------------------------------------------
INSTALLED=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$DEB" >"$WORK/apt.log" 2>&1 ||
  { cat "$WORK/apt.log"; fail "apt-get install failed"; }
dpkg-query -W -f='${Status}' vpnns | grep -q "install ok installed" || fail "vpnns is not installed"
[ "$(readlink -f /usr/lib/openvpn/vpnns.so)" = /usr/lib/x86_64-linux-gnu/openvpn/plugins/vpnns.so ] ||
  fail "/usr/lib/openvpn/vpnns.so does not lead to Debian's plugin directory"
getent group vpnns >/dev/null || fail "postinst did not create the vpnns group"
/usr/bin/vpnnsctl --help | grep -q "vpnnsctl exec" || fail "vpnnsctl --help"
for page in /usr/share/man/man8/vpnns.8.gz /usr/share/man/man1/vpnnsctl.1.gz; do
  warnings=$(zcat "$page" | groff -man -ww -z 2>&1) || fail "groff failed on $page"
  [ -z "$warnings" ] || fail "$page: $warnings"
done
systemd-analyze verify --man=no /lib/systemd/system/vpnns-netns@demo.service \
  /lib/systemd/system/vpnns-execd.socket /lib/systemd/system/vpnns-execd.service \
  2>"$WORK/verify.log" || { cat "$WORK/verify.log"; fail "systemd-analyze verify of the units"; }
[ -L /etc/systemd/system/sockets.target.wants/vpnns-execd.socket ] ||
  fail "postinst did not enable vpnns-execd.socket"
log "installed: plugin link, group, vpnnsctl, man pages, units verify, execd socket enabled"

# --- the netns end-to-end test against the installed files ----------------------------------
VPNNS_PLUGIN=/usr/lib/openvpn/vpnns.so VPNNS_HELPER=/usr/libexec/vpnns/vpnns-helper \
  bash "$ROOT/tests/e2e/netns_test.sh" || fail "the netns test failed against the installed package"
log "ok: the netns end-to-end test passed against the installed package"
# openvpn 2.7, with the installed vpnns-dns-updown (the example configuration's path).
[ -x "${VPNNS_OPENVPN27:-}" ] || fail "no openvpn 2.7 to test the package with (VPNNS_OPENVPN27='${VPNNS_OPENVPN27:-}')"
VPNNS_PLUGIN=/usr/lib/openvpn/vpnns.so VPNNS_HELPER=/usr/libexec/vpnns/vpnns-helper \
  VPNNS_DNS_UPDOWN=/usr/libexec/vpnns/vpnns-dns-updown VPNNS_OPENVPN="$VPNNS_OPENVPN27" \
  VPNNS_OPENVPN_LINE=2.7 bash "$ROOT/tests/e2e/netns_test.sh" ||
  fail "the netns test on openvpn 2.7 failed against the installed package"
log "ok: the netns end-to-end test passed on openvpn 2.7 against the installed package"
VPNNS_CTL=/usr/bin/vpnnsctl VPNNS_EXECD=/usr/sbin/vpnns-execd \
  bash "$ROOT/tests/e2e/exec_test.sh" || fail "the exec test failed against the installed package"
log "ok: the vpnnsctl exec end-to-end test passed against the installed vpnnsctl and vpnns-execd"

dpkg --purge vpnns >/dev/null
INSTALLED=0
if [ -e /usr/lib/openvpn/vpnns.so ] || [ -e /usr/libexec/vpnns ] ||
  [ -e /etc/systemd/system/sockets.target.wants/vpnns-execd.socket ]; then
  fail "files left after purge"
fi

log "ok: purged; nothing of the package left"
