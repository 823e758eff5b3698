#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vpnnsctl status and reset, end to end, against the kernel's own account (ip -j, nft -j).
#
# One server (client-set=inet/fw/clients,inet/fw/clients6) and two clients on the client host:
# a netns-mode client (namespace $NS_VPN, dns=pin) and a seal-mode client (redirect-gateway
# pushed); each openvpn is its own instance, named after this test so that other runs cannot
# collide.
#
# Asserts:
#   status --json: every instance healthy (exit 0); the netns client's device, ifindex,
#     addresses, vpnns routes and DNS servers equal what `ip -j` and resolv.conf say, its DNS
#     pin's servers and drop counter (after a query to a server not pushed) `nft -j`'s; the seal's
#     server address and accepted uids equal `nft -j`'s, its drop counter equals nft's after a
#     blocked packet; the server's set sizes equal `nft -j`'s (2 clients each); the state files
#     are 0640 root:vpnns (root's group where vpnns does not exist); as a member of that group,
#     status shows the state files and says the kernel needs root; as nobody, who may read them;
#   reset refuses while the helper runs (names its pid) and changes nothing;
#   each helper SIGKILLed (openvpn lives on): status calls the instance stale (exit 1);
#     reset removes exactly vpnns's leftovers — the seal table, the server's set members, the
#     DNS files and the DNS pin's table, the namespace with --netns (only with a marker that
#     matches, and not while a process lives in it: its pid is named), the state files — and
#     leaves a planted foreign nft table of the instance's table name, an unrelated table and a
#     foreign /etc/netns file.
TEST_NAME=status
source "$(dirname "$0")/lib.sh"

CTL=${VPNNS_CTL:-$BUILD/ctl/vpnnsctl}
# Instances are named like the test's namespaces, so scripts/sweep finds their state files.
INST_N=$ID-n # netns client
INST_C=$ID-c # seal client
INST_S=$ID-s # server
MARKER=/run/vpnns/netns/$NS_VPN
# What a SIGKILLed helper left is reset by the test itself; this is for a failure half-way.
on_exit() {
  local rc=$?
  rm -f /run/vpnns/"$ID"-?.json /run/vpnns/."$ID"-?.json.tmp "$MARKER"
  # lib.sh's cleanup takes the test's status from $? (and set -e must not cut this short).
  if [ "$rc" -eq 0 ]; then cleanup; else (exit "$rc") || cleanup; fi
}
trap on_exit EXIT

setup_topology
add_default_routes
make_pki

in_ns "$NS_SRV" nft -f - <<'EOF'
table inet fw {
  set clients { type ipv4_addr; }
  set clients6 { type ipv6_addr; }
}
EOF
server_conf 'push "redirect-gateway def1"' \
  "plugin $PLUGIN helper=$HELPER instance=$INST_S client-set=inet/fw/clients,inet/fw/clients6"
start_server

# The netns client ($WORK/client.conf, client.log) and the seal client (seal.conf, seal.log).
CLIENT_NETNS_LINES="" client_conf "helper=$HELPER instance=$INST_C"
sed -e 's/client\.crt/client2.crt/; s/client\.key/client2.key/; s/client\.log/seal.log/' \
  "$WORK/client.conf" >"$WORK/seal.conf"
client_conf "netns=$NS_VPN dns=pin helper=$HELPER instance=$INST_N"
start_client
wait_connected
start_openvpn "$NS_CLI" "$WORK/seal.conf"
SEAL_PID=$OPENVPN_PID
wait_for 20 grep -qs "Initialization Sequence Completed" "$WORK/seal.log" ||
  fail "the seal client did not connect"

HELPER_N=$(helper_pid "$CLIENT_PID")
HELPER_C=$(helper_pid "$SEAL_PID")
HELPER_S=$(helper_pid "$SERVER_PID")
for h in "$HELPER_N" "$HELPER_C" "$HELPER_S"; do [ -n "$h" ] || fail "a helper is missing"; done

# --- status against the kernel ------------------------------------------------------------
J=$WORK/status.json
status_json() { "$CTL" status --json "$@" >"$J"; }
q() { jq -r "$@" "$J"; }
inst() { printf '.instances[] | select(.instance == "%s")' "$1"; }

# The seal learns openvpn's user when it drops privileges; the server counts both clients.
seal_uids() { status_json "$INST_C" || true; [ "$(q "$(inst "$INST_C") | .state.seal.accept.uids | join(\",\")")" = "0,65534" ]; }
wait_for 5 seal_uids || fail "the seal client's state never showed uid 65534: $(cat "$J")"
two_members() { status_json "$INST_S" || true; [ "$(q "[$(inst "$INST_S") | .state.client_sets.sets[].members] | join(\",\")")" = "2,2" ]; }
wait_for 5 two_members || fail "the server's state does not count 2 members per set: $(cat "$J")"

# A packet from another uid to the server's address: dropped by the seal.
in_ns "$NS_CLI" setpriv --reuid 4242 --regid 4242 --clear-groups \
  sh -c 'echo x | nc -u -w1 198.51.100.1 9999' >/dev/null 2>&1 || true

# From the netns client's namespace, a DNS query to a server the VPN did not push: dropped by the
# DNS pin.
in_ns "$NS_VPN" sh -c 'echo x | nc -u -w1 203.0.113.53 53' >/dev/null 2>&1 || true

status_json "$INST_N" "$INST_C" "$INST_S" || fail "status is not healthy: $(cat "$J")"
[ "$(q '.healthy and .kernel_read')" = true ] || fail "status: $(cat "$J")"
[ "$(q '[.instances[] | .problems | length] | add')" = 0 ] || fail "problems: $(q '.instances[].problems[]')"
# 0640 root:vpnns (state.h); where group vpnns does not exist, root's group: root alone reads.
READERS=root
getent group vpnns >/dev/null && READERS=vpnns
[ "$(stat -c '%U %G' /run/vpnns)" = "root $READERS" ] || fail "/run/vpnns: $(stat -c '%U %G %a' /run/vpnns)"
for i in "$INST_N" "$INST_C" "$INST_S"; do
  [ "$(stat -c '%U %G %a' "/run/vpnns/$i.json")" = "root $READERS 640" ] ||
    fail "/run/vpnns/$i.json: $(stat -c '%U %G %a' "/run/vpnns/$i.json")"
done
[ "$(q "$(inst "$INST_N") | .helper.pid")" = "$HELPER_N" ] || fail "helper pid of $INST_N"
[ "$(q "$(inst "$INST_C") | .openvpn.pid")" = "$SEAL_PID" ] || fail "openvpn pid of $INST_C"

# netns client: device, addresses, routes, DNS.
N=$(inst "$INST_N")
dev=$(q "$N | .state.netns.device.name")
ifindex=$(ip -n "$NS_VPN" -j link show dev "$dev" | jq '.[0].ifindex')
[ "$(q "$N | .state.netns.device.ifindex")" = "$ifindex" ] || fail "state ifindex != ip's $ifindex"
[ "$(q "$N | .kernel.netns.device | \"\(.ifindex) \(.up)\"")" = "$ifindex true" ] || fail "kernel device"
[ "$(q "$N | .state.netns.tunnel")" = up ] || fail "tunnel not up"
ip_addrs=$(ip -n "$NS_VPN" -j addr show dev "$dev" |
  jq -r '[.[0].addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"] | sort | join(" ")')
[ -n "$ip_addrs" ] || fail "no addresses in $NS_VPN"
[ "$(q "[$N | .state.netns.addresses[].address] | sort | join(\" \")")" = "$ip_addrs" ] ||
  fail "state addresses $(q "[$N | .state.netns.addresses[].address] | join(\" \")") != ip's $ip_addrs"
[ "$(q "[$N | .kernel.netns.addresses[].address] | sort | join(\" \")")" = "$ip_addrs" ] || fail "kernel addresses"
# `ip -j route` says "default" and leaves /32 and /128 out.
# shellcheck disable=SC2016 # a jq program
norm='def n($full): if .dst == "default" then (if $full == 32 then "0.0.0.0/0" else "::/0" end)
  elif (.dst | contains("/")) then .dst else "\(.dst)/\($full)" end;
  .[] | "\(n($full)) \(.gateway // "-")"'
ip_routes=$({
  ip -n "$NS_VPN" -4 -j route show table main proto 86 | jq -r --argjson full 32 "$norm"
  ip -n "$NS_VPN" -6 -j route show table main proto 86 | jq -r --argjson full 128 "$norm"
} | sort | tr '\n' ';')
[ "$(echo "$ip_routes" | tr ';' '\n' | grep -c .)" -ge 4 ] || fail "expected >= 4 vpnns routes: $ip_routes"
for src in state kernel; do
  got=$(q "$N | .$src.netns.routes[] | \"\(.dst) \(.gateway // \"-\")\"" | sort | tr '\n' ';')
  [ "$got" = "$ip_routes" ] || fail "$src routes '$got' != ip's '$ip_routes'"
done
resolv=$(awk '/^nameserver/{print $2}' "/etc/netns/$NS_VPN/resolv.conf" | tr '\n' ' ')
[ "$(q "$N | .state.netns.dns.servers | join(\" \")") " = "$resolv" ] || fail "DNS servers != resolv.conf's $resolv"
[ "$resolv" = "192.0.2.53 2001:db8:100::53 " ] || fail "resolv.conf: $resolv"
# The DNS pin: its servers, and its drop counter after the query to a server not pushed.
nft_pinned=$(for set in servers4 servers6; do
  in_ns "$NS_VPN" nft -j list set inet vpnns-dns "$set" | jq -r '.nftables[] | .set? // empty | .elem // [] | .[]'
done | sort | tr '\n' ' ')
[ "$nft_pinned" = "192.0.2.53 2001:db8:100::53 " ] || fail "nft's pinned servers: $nft_pinned"
for src in state kernel; do
  [ "$(q "$N | .$src.netns.dns_pin // .$src.dns_pin | .servers | sort | join(\" \")") " = "$nft_pinned" ] ||
    fail "$src pinned servers != nft's $nft_pinned"
done
pin_dropped=$(in_ns "$NS_VPN" nft -j list counter inet vpnns-dns dropped | jq '.nftables[] | .counter? // empty | .packets')
[ "$pin_dropped" -ge 1 ] || fail "the blocked DNS query was not counted by nft ($pin_dropped)"
[ "$(q "$N | .kernel.dns_pin.dropped_packets")" = "$pin_dropped" ] ||
  fail "status says $(q "$N | .kernel.dns_pin.dropped_packets") DNS packets dropped, nft $pin_dropped"
pass "netns client: device $dev (ifindex $ifindex), addresses, $(echo "$ip_routes" | tr ';' '\n' | grep -c .) routes, DNS and the DNS pin ($pin_dropped dropped) match ip -j, resolv.conf and nft -j"

# seal client: server address, accepted uids, drop counter.
C=$(inst "$INST_C")
TABLE=vpnns-$INST_C
nft_dropped=$(in_ns "$NS_CLI" nft -j list counter inet "$TABLE" dropped | jq '.nftables[] | .counter? // empty | .packets')
[ "$nft_dropped" -ge 1 ] || fail "the blocked packet was not counted by nft ($nft_dropped)"
[ "$(q "$C | .kernel.seal.dropped_packets")" = "$nft_dropped" ] ||
  fail "status says $(q "$C | .kernel.seal.dropped_packets") dropped, nft $nft_dropped"
nft_servers=$(in_ns "$NS_CLI" nft -j list set inet "$TABLE" server4 | jq -r '.nftables[] | .set? // empty | .elem // [] | join(",")')
[ "$nft_servers" = 198.51.100.1 ] || fail "nft's server4: $nft_servers"
for src in state kernel; do
  [ "$(q "$C | .$src.seal.servers | join(\",\")")" = "$nft_servers" ] || fail "$src seal servers"
done
nft_uids=$(in_ns "$NS_CLI" nft -j list set inet "$TABLE" uids | jq -r '.nftables[] | .set? // empty | .elem | sort | join(",")')
[ "$(q "$C | .kernel.seal.uids | sort | join(\",\")")" = "$nft_uids" ] || fail "kernel uids != nft's $nft_uids"
[ "$(q "$C | .state.openvpn.uid")" = 65534 ] || fail "openvpn's uid not in the state file"
[ "$(q "$C | .kernel.seal.owner_pid")" = "$HELPER_C" ] || fail "the seal's owner is not the helper"
pass "seal client: server 198.51.100.1, uids $nft_uids and $nft_dropped dropped packet(s) match nft -j"

# server: set sizes.
S=$(inst "$INST_S")
for set in clients clients6; do
  n=$(in_ns "$NS_SRV" nft -j list set inet fw "$set" | jq '.nftables[] | .set? // empty | .elem // [] | length')
  [ "$n" = 2 ] || fail "nft's $set has $n members"
  for src in state kernel; do
    got=$(q "$S | .$src.client_sets | if type == \"array\" then . else .sets end | .[] | select(.set == \"inet/fw/$set\") | .members")
    [ "$got" = "$n" ] || fail "$src says $set has $got members, nft $n"
  done
done
[ "$(q "$S | .state.client_sets.clients")" = 2 ] || fail "the server's state counts $(q "$S | .state.client_sets.clients") clients"
pass "server: set sizes (2 and 2) match nft -j"

# Human output and the unprivileged view.
"$CTL" status "$INST_N" "$INST_C" "$INST_S" >"$WORK/status.txt" || fail "human status exit $?"
grep -q "^$INST_N (client): healthy" "$WORK/status.txt" || fail "human status: $(cat "$WORK/status.txt")"
grep -Eq "; $nft_dropped packets? dropped" "$WORK/status.txt" || fail "no drop counter in: $(cat "$WORK/status.txt")"
install -m 755 "$CTL" "$WORK/vpnnsctl"
# A member of the state files' group (nobody given that group) reads them; nobody alone cannot.
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$WORK/vpnnsctl" "$@"; }
as_member() {
  setpriv --reuid 65534 --regid 65534 --groups "$(getent group "$READERS" | cut -d: -f3)" \
    "$WORK/vpnnsctl" "$@"
}
as_member status "$INST_C" >"$WORK/member.txt" || fail "status as a member: exit $?: $(cat "$WORK/member.txt")"
grep -q "needs root" "$WORK/member.txt" || fail "status as a member does not say that the kernel needs root"
as_member status --json "$INST_C" | jq -e '.kernel_read == false and .instances[0].kernel == null and .healthy' >/dev/null ||
  fail "status --json as a member"
if as_nobody status "$INST_C" >"$WORK/nobody.txt" 2>&1; then fail "status as nobody read a state file"; fi
grep -qF "/run/vpnns/$INST_C.json is for root and group vpnns to read" "$WORK/nobody.txt" ||
  fail "status as nobody: $(cat "$WORK/nobody.txt")"
pass "human output; state files 0640 root:$READERS: a member sees them ('needs root' said, exit 0), nobody is told who may"

# --- reset refuses while the helper runs ---------------------------------------------------
if in_ns "$NS_CLI" "$CTL" reset "$INST_C" >"$WORK/reset.out" 2>&1; then fail "reset ran while the helper is alive"; fi
grep -q "vpnns-helper pid $HELPER_C .*is running" "$WORK/reset.out" || fail "refusal: $(cat "$WORK/reset.out")"
in_ns "$NS_CLI" nft list table inet "$TABLE" >/dev/null || fail "the refused reset removed the seal"
[ -e "/run/vpnns/$INST_C.json" ] || fail "the refused reset removed the state file"
# Without its state file the helper is still found, by its command line (instance=NAME).
mv "/run/vpnns/$INST_C.json" "$WORK/state.json"
if in_ns "$NS_CLI" "$CTL" reset "$INST_C" >"$WORK/reset.out" 2>&1; then fail "reset ran while the helper is alive (no state file)"; fi
mv "$WORK/state.json" "/run/vpnns/$INST_C.json"
grep -q "vpnns-helper pid $HELPER_C is running with instance=$INST_C" "$WORK/reset.out" || fail "refusal: $(cat "$WORK/reset.out")"
in_ns "$NS_CLI" nft list table inet "$TABLE" >/dev/null || fail "the refused reset removed the seal"
if "$CTL" reset ../x >/dev/null 2>&1; then fail "reset accepted ../x"; fi
pass "reset refuses while helper $HELPER_C runs, and changes nothing"

# --- the helpers are killed: stale, then reset ---------------------------------------------
kill -KILL "$HELPER_N" "$HELPER_C" "$HELPER_S"
for p in "$HELPER_N" "$HELPER_C" "$HELPER_S"; do wait_gone "$p" 2 || fail "helper $p survived SIGKILL"; done
if status_json "$INST_N" "$INST_C" "$INST_S"; then fail "status exit 0 with three stale instances"; fi
[ "$(q '[.instances[] | .stale] | all')" = true ] || fail "not all stale: $(cat "$J")"
if "$CTL" status "$INST_C" >"$WORK/status.txt"; then fail "human status exit 0 for a stale instance"; fi
grep -q "^$INST_C (client): STALE" "$WORK/status.txt" || fail "human status: $(cat "$WORK/status.txt")"
pass "after SIGKILL of the helpers: all three stale, exit 1"

# Foreign things that must survive: a table of the netns instance's table name without vpnns's
# comment, an unrelated table, a file of the administrator's in /etc/netns/$NS_VPN.
in_ns "$NS_CLI" nft add table inet "vpnns-$INST_N"
in_ns "$NS_CLI" nft add table inet keep
echo "192.0.2.99 admin" >"/etc/netns/$NS_VPN/hosts"
ip netns exec "$NS_VPN" sleep 30 &
SLEEPER=$!
STARTED_PIDS+=("$SLEEPER")

# The seal client: its table goes, the foreign ones stay.
in_ns "$NS_CLI" "$CTL" reset "$INST_C" >"$WORK/reset.out" || fail "reset $INST_C: $(cat "$WORK/reset.out")"
grep -q "removed: nft table inet $TABLE" "$WORK/reset.out" || fail "reset output: $(cat "$WORK/reset.out")"
in_ns "$NS_CLI" nft list table inet "$TABLE" >/dev/null 2>&1 && fail "the seal table survived reset"
[ ! -e "/run/vpnns/$INST_C.json" ] || fail "the state file survived reset"
pass "reset $INST_C: the stale seal table and state file removed"

# The server: its sets emptied, the administrator's table kept.
in_ns "$NS_SRV" "$CTL" reset "$INST_S" >"$WORK/reset.out" || fail "reset $INST_S: $(cat "$WORK/reset.out")"
for set in clients clients6; do
  n=$(in_ns "$NS_SRV" nft -j list set inet fw "$set" | jq '.nftables[] | .set? // empty | .elem // [] | length')
  [ "$n" = 0 ] || fail "set $set still has $n members after reset"
done
[ ! -e "/run/vpnns/$INST_S.json" ] || fail "the server's state file survived reset"
pass "reset $INST_S: the client sets emptied, table inet fw kept"

# The netns client, --netns, with the helper's marker (state/netns_marker.h) put aside: the
# namespace is not proven vpnns's.
[ -e "$MARKER" ] || fail "the helper wrote no marker $MARKER"
mv "$MARKER" "$WORK/marker"
if in_ns "$NS_CLI" "$CTL" reset "$INST_N" --netns >"$WORK/reset.out"; then fail "reset --netns without a marker exited 0"; fi
grep -q "left alone: network namespace '$NS_VPN'.*no marker" "$WORK/reset.out" || fail "reset output: $(cat "$WORK/reset.out")"
grep -q "removed: /etc/netns/$NS_VPN/resolv.conf" "$WORK/reset.out" || fail "resolv.conf not removed: $(cat "$WORK/reset.out")"
grep -q "removed: nft table inet vpnns-dns in network namespace '$NS_VPN'" "$WORK/reset.out" || fail "DNS pin not removed: $(cat "$WORK/reset.out")"
if in_ns "$NS_VPN" nft list table inet vpnns-dns >/dev/null 2>&1; then fail "the DNS pin survived reset"; fi
grep -q "left alone: nft table inet vpnns-$INST_N .*vpnns did not make it" "$WORK/reset.out" ||
  fail "the foreign table was not reported as left alone: $(cat "$WORK/reset.out")"
[ -e "/run/vpnns/$INST_N.json" ] || fail "the state file went while the namespace stayed"
# A marker that names another namespace: not the one vpnns made.
echo "1:1" >"$MARKER"
if in_ns "$NS_CLI" "$CTL" reset "$INST_N" --netns >"$WORK/reset.out"; then fail "reset --netns with a wrong marker exited 0"; fi
grep -q "left alone: network namespace '$NS_VPN'.*not the one vpnns made" "$WORK/reset.out" ||
  fail "reset output: $(cat "$WORK/reset.out")"
# The helper's own marker back: a process still lives there.
mv "$WORK/marker" "$MARKER"
[ "$(cat "$MARKER")" = "$(stat -c '%d:%i' "/run/netns/$NS_VPN") client" ] || fail "marker $(cat "$MARKER") does not name /run/netns/$NS_VPN"
if in_ns "$NS_CLI" "$CTL" reset "$INST_N" --netns >"$WORK/reset.out"; then fail "reset --netns with a process inside exited 0"; fi
grep -q "processes live in it: .*$SLEEPER" "$WORK/reset.out" || fail "the sleeper's pid is not named: $(cat "$WORK/reset.out")"
[ -e "/run/netns/$NS_VPN" ] || fail "the namespace was removed with a process inside"
kill "$SLEEPER"
wait_gone "$SLEEPER" 2 || fail "sleeper did not end"
in_ns "$NS_CLI" "$CTL" reset "$INST_N" --netns >"$WORK/reset.out" || fail "reset --netns: $(cat "$WORK/reset.out")"
[ ! -e "/run/netns/$NS_VPN" ] || fail "the namespace survived reset --netns"
for f in "$MARKER" "/run/vpnns/$INST_N.json" "/etc/netns/$NS_VPN/resolv.conf" "/etc/netns/$NS_VPN/nsswitch.conf"; do
  [ ! -e "$f" ] || fail "$f survived reset --netns"
done
[ -e "/etc/netns/$NS_VPN/hosts" ] || fail "reset removed the administrator's hosts file"
in_ns "$NS_CLI" nft list table inet "vpnns-$INST_N" >/dev/null || fail "reset removed the foreign vpnns-$INST_N table"
in_ns "$NS_CLI" nft list table inet keep >/dev/null || fail "reset removed an unrelated table"
pass "reset $INST_N --netns: DNS files, namespace (after its last process left), marker, state file removed; foreign table and file kept"
