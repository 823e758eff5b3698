#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped server example works as written: examples/server/server.conf, classes and
# firewall.nft, with only what a test must change (certificate paths, the jail, where the plugin,
# helper and classes file are, the listening address, a log file, disable-dco; on openvpn 2.7
# the tests' dns-updown lines, lib.sh's ovpn_lines) — the plugin line's arguments untouched.
#
# Two clients (CN admin-1 and branch-1, whose CCD entry gives fixed addresses and an iroute, as
# an administrator would) connect from one namespace (ifconfig-noexec/route-noexec: their own
# side needs no addresses). Asserts the exact members of every set of firewall.nft: both in the
# plain client sets (addresses only: a plain set cannot hold the branch's LAN), admin-1 in
# admins/admins6, branch-1's address and LAN in the interval set branches, nobody in guests; and
# after SIGTERM every set is empty.
TEST_NAME=examples
source "$(dirname "$0")/lib.sh"

EXAMPLES=$E2E_ROOT/examples/server
JAIL=$WORK/srvjail
setup_topology
make_pki admin-1 branch-1

in_ns "$NS_SRV" nft -f "$EXAMPLES/firewall.nft" || fail "examples/server/firewall.nft does not load"
install -m 644 "$EXAMPLES/classes" "$WORK/classes"
mkdir -p "$JAIL/ccd" "$JAIL/tmp"
chmod 1777 "$JAIL/tmp"
printf 'ifconfig-push 192.0.2.10 255.255.255.0\nifconfig-ipv6-push 2001:db8:100::10/64\n' \
  >"$JAIL/ccd/admin-1"
printf 'ifconfig-push 192.0.2.20 255.255.255.0\nifconfig-ipv6-push 2001:db8:100::20/64\n' \
  >"$JAIL/ccd/branch-1"
echo 'iroute 203.0.113.128 255.255.255.128' >>"$JAIL/ccd/branch-1"
chmod 644 "$JAIL/ccd/"*

grep -q '^plugin /usr/lib/openvpn/vpnns.so ' "$EXAMPLES/server.conf" || fail "no plugin line"
sed -e "s|^ca ca.crt|ca $WORK/pki/ca.crt|" -e "s|^cert server.crt|cert $WORK/pki/server.crt|" \
  -e "s|^key server.key|key $WORK/pki/server.key|" -e "s|^chroot .*|chroot $JAIL|" \
  -e "s|^plugin /usr/lib/openvpn/vpnns.so |plugin $PLUGIN helper=$HELPER |" \
  -e "s|/etc/openvpn/server/classes|$WORK/classes|" \
  "$EXAMPLES/server.conf" >"$WORK/server.conf"
printf 'local 198.51.100.1\ndisable-dco\n%s\nverb 3\nlog %s\n' "$(ovpn_lines server)" "$WORK/server.log" \
  >>"$WORK/server.conf"
start_server
pass "the example server started: $(grep -o 'PLUGIN vpnns: .*' "$WORK/server.log" | head -1)"

for cn in admin-1 branch-1; do
  cat >"$WORK/$cn.conf" <<EOF2
client
dev tun
proto udp
remote 198.51.100.1 1194
nobind
ca $WORK/pki/ca.crt
cert $WORK/pki/$cn.crt
key $WORK/pki/$cn.key
remote-cert-tls server
disable-dco
ifconfig-noexec
route-noexec
$(ovpn_lines seal)
connect-retry 1 1
verb 3
log $WORK/$cn.log
EOF2
  start_openvpn "$NS_CLI" "$WORK/$cn.conf"
done
for cn in admin-1 branch-1; do
  wait_for 20 grep -qs "Initialization Sequence Completed" "$WORK/$cn.log" ||
    fail "$cn did not connect"
done

# members SET: sorted, one line ("-" if empty). (vpnns's members carry a comment, its owner
# "vpnns:INSTANCE": {"elem": {"val": ..., "comment": ...}}.)
members() {
  local got
  got=$(in_ns "$NS_SRV" nft -j list set inet vpn "$1" | jq -r '
    .nftables[] | select(.set) | (.set.elem // [])[] |
    if type == "object" and has("elem") then .elem.val else . end |
    if type == "string" then .
    elif has("prefix") then "\(.prefix.addr)/\(.prefix.len)"
    else tojson end' | sort | tr '\n' ' ')
  got=${got% }
  echo "${got:--}"
}
declare -A WANT=(
  [clients]="192.0.2.10 192.0.2.20"
  [clients6]="2001:db8:100::10 2001:db8:100::20"
  [admins]="192.0.2.10"
  [admins6]="2001:db8:100::10"
  [guests]="-"
  [branches]="192.0.2.20 203.0.113.128/25"
)
sets_are() {  # WANT-or-empty
  local set want
  MISMATCH=""
  for set in "${!WANT[@]}"; do
    want=${WANT[$set]}
    [ "$1" = empty ] && want=-
    [ "$(members "$set")" = "$want" ] || MISMATCH+=" $set=[$(members "$set")] (want [$want])"
  done
  [ -z "$MISMATCH" ]
}
wait_for 10 sets_are exact || fail "sets after both connected:$MISMATCH"
pass "both clients connected: every set of firewall.nft exact (branches holds the iroute)"

kill -TERM "$SERVER_PID"
wait_gone "$SERVER_PID" 10 || fail "the server did not stop"
sets_are empty || fail "sets after the server's SIGTERM:$MISMATCH"
pass "server SIGTERM: every set empty"
