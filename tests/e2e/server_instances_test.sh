#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two server instances, one firewall: a UDP and a TCP openvpn server in one namespace, each with
# its own pool (192.0.2.0/25 + 2001:db8:100::/64, 192.0.2.128/25 + 2001:db8:101::/64), keep
# members in the same two sets (inet/fw/clients, inet/fw/clients6), which also hold an element
# the administrator added by hand in each. A plain openvpn client (no plugin) on each instance.
#
# After every step each set holds exactly the connected clients' addresses plus the hand-added
# element, and every member vpnns added carries its instance ("vpnns:$ID-udp" / "vpnns:$ID-tcp"):
#   both connected;
#   the UDP instance stops (SIGTERM): only its client's members go;
#   it starts again: its client is back, nothing of the TCP instance's was touched;
#   the TCP instance's helper is SIGKILLed: its members stay (its client is still connected);
#   the TCP openvpn stops: the dead helper's members are left; its next start (clients kept out)
#     removes exactly those — the UDP instance's and the hand-added stay; the client comes back;
#   both stop: only the hand-added elements are left.
# vpnnsctl status counts each instance's members and what else the sets hold, and flags the dead
# helper's members as owned by no running instance.
TEST_NAME=server-instances
source "$(dirname "$0")/lib.sh"
# shellcheck source=sets_lib.sh
source "$(dirname "$0")/sets_lib.sh"

NS_U=$ID-cu
NS_T=$ID-ct
HAND4=198.51.100.200
HAND6=2001:db8:ff::1
declare -A V4=() V6=() UP=() NS_OF=([udp]=$NS_U [tcp]=$NS_T)

ip netns add "$NS_SRV"
register_ns "$NS_SRV"
ip -n "$NS_SRV" link set lo up
n=0
for c in udp tcp; do
  ns=${NS_OF[$c]}
  ip netns add "$ns"
  register_ns "$ns"
  ip -n "$ns" link set lo up
  ip -n "$NS_SRV" link add "c$n" type veth peer name eth0 netns "$ns"
  ip -n "$NS_SRV" addr add "198.51.100.$((8 * n + 1))/29" dev "c$n"
  ip -n "$ns" addr add "198.51.100.$((8 * n + 2))/29" dev eth0
  ip -n "$NS_SRV" link set "c$n" up
  ip -n "$ns" link set eth0 up
  n=$((n + 1))
done
make_pki

in_ns "$NS_SRV" nft -f - <<EOF
table inet fw {
  set clients { type ipv4_addr; flags interval; }
  set clients6 { type ipv6_addr; }
}
EOF
in_ns "$NS_SRV" nft add element inet fw clients "{ $HAND4 }"
in_ns "$NS_SRV" nft add element inet fw clients6 "{ $HAND6 comment \"the admin's\" }"

# srv_conf udp|tcp V4NET V6NET: $WORK/srv-NAME.conf (instance $ID-NAME), log $WORK/srv-NAME.log.
srv_conf() {
  cat >"$WORK/srv-$1.conf" <<EOF
dev tun
proto ${1}4
port 1194
topology subnet
server $2 255.255.255.128
server-ipv6 $3
keepalive 1 3
$([ "$1" = udp ] && echo "explicit-exit-notify 1")
dh none
ca $WORK/pki/ca.crt
cert $WORK/pki/server.crt
key $WORK/pki/server.key
disable-dco
$(ovpn_lines server)
verb 3
log-append $WORK/srv-$1.log
plugin $PLUGIN helper=$HELPER instance=$ID-$1 client-set=inet/fw/clients,inet/fw/clients6
EOF
}
srv_conf udp 192.0.2.0 2001:db8:100::/64
srv_conf tcp 192.0.2.128 2001:db8:101::/64
n=0
for c in udp tcp; do
  cat >"$WORK/$c.conf" <<EOF
client
dev tun
proto ${c}4
remote 198.51.100.$((8 * n + 1)) 1194
nobind
ca $WORK/pki/ca.crt
cert $WORK/pki/client.crt
key $WORK/pki/client.key
remote-cert-tls server
disable-dco
connect-retry 0 0
server-poll-timeout 3
$(ovpn_lines seal)
verb 3
log-append $WORK/$c.log
EOF
  n=$((n + 1))
done

declare -A SRV_PID=()
at_least() {
  local n
  n=$(grep -c "$2" "$1" 2>/dev/null) || n=0
  [ "$n" -ge "$3" ]
}
# start_srv udp|tcp N: starts instance srv-NAME, waiting for its N-th start in its log.
start_srv() {
  start_openvpn "$NS_SRV" "$WORK/srv-$1.conf"
  SRV_PID[$1]=$OPENVPN_PID
  wait_for 10 at_least "$WORK/srv-$1.log" "Initialization Sequence Completed" "$2" ||
    fail "server srv-$1 did not start"
}
# connected udp|tcp N: the client's N-th connection; records its tunnel addresses.
connected() {
  wait_for 20 at_least "$WORK/$1.log" "Initialization Sequence Completed" "$2" ||
    fail "the $1 client did not connect (want completion #$2)"
  V4[$1]=$(ip -n "${NS_OF[$1]}" -4 -o addr show dev tun0 | awk '{print $4}' | cut -d/ -f1)
  V6[$1]=$(ip -n "${NS_OF[$1]}" -6 -o addr show dev tun0 scope global | awk '{print $4}' | cut -d/ -f1)
  [ -n "${V4[$1]}" ] && [ -n "${V6[$1]}" ] || fail "the $1 client has no tunnel addresses"
  UP[$1]=1
}

SETS=(clients clients6)
SUMMARY_SETS=(clients clients6)
declare -A REF_OF=([clients]="inet fw clients" [clients6]="inet fw clients6")
expected() {
  local c
  {
    if [ "$1" = clients ]; then echo "$HAND4"; else echo "$HAND6"; fi
    for c in udp tcp; do
      [ "${UP[$c]:-0}" = 1 ] || continue
      if [ "$1" = clients ]; then echo "${V4[$c]}"; else echo "${V6[$c]}"; fi
    done
  } | sort
}
# owned_by udp|tcp: every member of the client's is tagged with its instance.
owned_by() {
  owners clients | grep -qx "${V4[$1]} vpnns:$ID-$1" &&
    owners clients6 | grep -qx "${V6[$1]} vpnns:$ID-$1"
}

# --- both instances, a client on each --------------------------------------------------------
start_srv udp 1
start_srv tcp 1
for c in udp tcp; do
  start_openvpn "${NS_OF[$c]}" "$WORK/$c.conf"
done
connected udp 1
connected tcp 1
assert_exact "two instances, a client on each" 5
owned_by udp && owned_by tcp || fail "members not tagged with their instance: $(owners clients | tr '\n' ';')"
owners clients | grep -qx "$HAND4 -" || fail "the hand-added element changed: $(owners clients | tr '\n' ';')"
owners clients6 | grep -qx "$HAND6 the admin's" || fail "the hand-added element's comment changed"
pass "members tagged: $(owners clients | tr '\n' ';')"
CTL=${VPNNS_CTL:-$BUILD/ctl/vpnnsctl}
status=$("$CTL" status "$ID-udp" "$ID-tcp") || fail "vpnnsctl status is not healthy: $status"
grep -q "client sets.*1 clients: inet/fw/clients 1, inet/fw/clients6 1; also inet/fw/clients 1 by hand, inet/fw/clients 1 of '$ID-tcp'" <<<"$status" ||
  fail "vpnnsctl status does not count the members per instance: $status"
pass "vpnnsctl status: $(grep -m1 'client sets' <<<"$status" | sed 's/^ *//')"

# --- the UDP instance stops and starts again --------------------------------------------------
kill -TERM "${SRV_PID[udp]}"
wait_gone "${SRV_PID[udp]}" 10 || fail "srv-udp did not exit on SIGTERM"
UP[udp]=0
assert_exact "srv-udp stopped (SIGTERM): only its client's members left" 5
start_srv udp 2
connected udp 2
assert_exact "srv-udp started again, its client back" 5
owned_by udp && owned_by tcp || fail "members not tagged with their instance after the restart"

# --- the TCP instance's helper dies ------------------------------------------------------------
TCP_HELPER=$(helper_pid "${SRV_PID[tcp]}")
[ -n "$TCP_HELPER" ] || fail "no helper under srv-tcp"
kill -KILL "$TCP_HELPER"
wait_gone "$TCP_HELPER" 2 || fail "the helper survived SIGKILL"
assert_exact "srv-tcp's helper SIGKILLed: its client's members stay" 1
if status=$("$CTL" status "$ID-udp"); then fail "vpnnsctl status healthy with a dead helper's members: $status"; fi
grep -q "set inet/fw/clients holds 1 member of instance '$ID-tcp', which is not running: no running instance owns it" <<<"$status" ||
  fail "vpnnsctl status does not flag the dead helper's members: $status"
pass "vpnnsctl status flags the dead helper's members"
# Keep the client out, stop the TCP openvpn: the dead helper's members are left behind ...
in_ns "$NS_SRV" nft -f - <<'EOF'
table inet gate {
  chain in {
    type filter hook prerouting priority -300; policy accept;
    tcp dport 1194 drop
  }
}
EOF
kill -TERM "${SRV_PID[tcp]}"
wait_gone "${SRV_PID[tcp]}" 10 || fail "srv-tcp did not exit on SIGTERM"
sets_exact || fail "srv-tcp's members changed with its helper dead:$MISMATCH"
# ... and the instance's next start removes exactly those.
start_srv tcp 2
UP[tcp]=0
assert_exact "srv-tcp started again: the dead helper's members gone, srv-udp's and the hand-added kept" 2
in_ns "$NS_SRV" nft delete table inet gate
connected tcp 2
assert_exact "srv-tcp's client back" 5
owned_by udp && owned_by tcp || fail "members not tagged with their instance at the end"

# --- both stop ----------------------------------------------------------------------------------
kill -TERM "${SRV_PID[udp]}" "${SRV_PID[tcp]}"
wait_gone "${SRV_PID[udp]}" 10 && wait_gone "${SRV_PID[tcp]}" 10 || fail "a server did not exit"
UP[udp]=0 UP[tcp]=0
assert_exact "both instances stopped: the hand-added elements alone" 2
pass "done in ${SECONDS}s"
