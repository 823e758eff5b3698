#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Server side end to end: nftables client sets kept exact by a real openvpn server.
#
# The server (user nobody, group nogroup, chroot with the client-config-dir inside it,
# persist-tun, persist-key, topology subnet, IPv4 + IPv6 pool, a CCD iroute and iroute-ipv6 for
# client2) runs the plugin with client-set=inet/fw/clients,inet/fw/clients6 and a client-classes
# file; three plain openvpn clients (CNs client, client2, client3, no plugin) each run in their
# own namespace with their own veth link to the server's namespace.
#
# Asserts the exact members of every set (client sets v4/v6, the class sets admins/admins6 for
# client and client2 — two lines, one of them a glob —, guests/guests6 for client3 in two
# different tables and families, and a class nobody matches) with `nft -j list set` in the
# server's namespace:
#   all three connected (client2's iroute subnets in client2's sets);
#   client leaves cleanly (explicit-exit-notify, SIGTERM) → its addresses are gone;
#   client3 is SIGKILLed → still there until the server's keepalive times it out, then gone;
#   server SIGUSR1 → every client reconnects, the sets are exact again (no stale member);
#   server SIGKILL → the sets are empty at once (the helper sees openvpn die);
#   the next server start removes the members its instance left (planted, tagged
#     "vpnns:server2", while it was down), keeps one added by hand, and the sets stay so until
#     clients are let in; then exact again; SIGTERM (close) → empty.
# A forward chain using @admins lets an admin's ping through to a LAN host behind the server and
# drops a guest's (the drop counter rises; a counter at the LAN host sees none of the guest's
# packets, and does see the admin's).
# Start-up refusal: a classes file naming a set the ruleset does not declare, and one of the wrong
# type, stops openvpn at start with a message naming both sets.
TEST_NAME=server-sets
source "$(dirname "$0")/lib.sh"
# shellcheck source=sets_lib.sh
source "$(dirname "$0")/sets_lib.sh"

NS_C1=$ID-c1
NS_C2=$ID-c2
NS_C3=$ID-c3
NS_LAN=$ID-lan
CNS=(client client2 client3)
declare -A NS_OF=([client]=$NS_C1 [client2]=$NS_C2 [client3]=$NS_C3)
declare -A REMOTE_OF=([client]=198.51.100.1 [client2]=198.51.100.9 [client3]=198.51.100.17)
declare -A PID_OF=() V4=() V6=() UP=()
IROUTE4=203.0.113.128/25
IROUTE6=2001:db8:300::/64
LAN_HOST=203.0.113.10
JAIL=$WORK/srvjail

# --- topology: server, three client hosts (a /29 each), a LAN behind the server -------------
ip netns add "$NS_SRV"
register_ns "$NS_SRV"
ip -n "$NS_SRV" link set lo up
n=0
for cn in "${CNS[@]}"; do
  ns=${NS_OF[$cn]}
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
ip netns add "$NS_LAN"
register_ns "$NS_LAN"
ip -n "$NS_LAN" link set lo up
ip -n "$NS_SRV" link add lan0 type veth peer name eth0 netns "$NS_LAN"
ip -n "$NS_SRV" addr add 203.0.113.1/25 dev lan0
ip -n "$NS_LAN" addr add "$LAN_HOST/25" dev eth0
ip -n "$NS_SRV" link set lan0 up
ip -n "$NS_LAN" link set eth0 up
# The LAN host answers the VPN's pool through the server; nothing beyond the test.
ip -n "$NS_LAN" route add 192.0.2.0/24 via 203.0.113.1
ip netns exec "$NS_SRV" sysctl -qw net.ipv4.ip_forward=1

make_pki

# --- the administrator's ruleset ----------------------------------------------------------
in_ns "$NS_SRV" nft -f - <<'EOF'
table inet fw {
  counter dropped { }
  set clients { type ipv4_addr; flags interval; }
  set clients6 { type ipv6_addr; flags interval; }
  set admins { type ipv4_addr; flags interval; }
  set admins6 { type ipv6_addr; flags interval; }
  set guests { type ipv4_addr; flags interval; }
  set nobody { type ipv4_addr; flags interval; }
  set macs { type ether_addr; }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "tun0" ip saddr @admins accept
    iifname "tun0" counter name "dropped" drop
  }
}
table ip6 fw6 {
  set guests6 { type ipv6_addr; flags interval; }
}
EOF
# What arrives at the LAN host (filled in once the clients' addresses are known).
in_ns "$NS_LAN" nft -f - <<'EOF'
table inet watch {
  counter from_admin { }
  counter from_guest { }
  counter from_vpn { }
  chain in {
    type filter hook prerouting priority -400; policy accept;
    ip saddr 192.0.2.0/24 counter name "from_vpn"
  }
}
EOF

cat >"$WORK/classes" <<'EOF'
# PATTERN SET[,SET...]
client        inet/fw/admins,inet/fw/admins6
client[!3]    inet/fw/admins,inet/fw/admins6
*3            inet/fw/guests,ip6/fw6/guests6
nobody-*      inet/fw/nobody
EOF
chmod 644 "$WORK/classes"

mkdir -p "$JAIL/ccd" "$JAIL/tmp"
chmod 1777 "$JAIL/tmp"
printf 'iroute %s\niroute-ipv6 %s\n' "203.0.113.128 255.255.255.128" "$IROUTE6" >"$JAIL/ccd/client2"
chmod 644 "$JAIL/ccd/client2"

# srv_conf NAME CLIENT_SETS CLASSES: writes $WORK/NAME.conf, logging to $WORK/NAME.log.
srv_conf() {
  cat >"$WORK/$1.conf" <<EOF
dev tun
proto udp4
port 1194
multihome
topology subnet
server 192.0.2.0 255.255.255.0
server-ipv6 2001:db8:100::/64
push "route 203.0.113.0 255.255.255.128"
route 203.0.113.128 255.255.255.128
route-ipv6 $IROUTE6
client-config-dir /ccd
keepalive 1 3
explicit-exit-notify 1
dh none
ca $WORK/pki/ca.crt
cert $WORK/pki/server.crt
key $WORK/pki/server.key
disable-dco
user nobody
group nogroup
chroot $JAIL
persist-tun
$(ovpn_persist_key)
$(ovpn_lines server)
verb 3
log-append $WORK/$1.log
plugin $PLUGIN helper=$HELPER client-set=$2 client-classes=$3 client-iroutes=$IROUTE4,$IROUTE6
EOF
}

# connect-retry 0 0: no pause before a reconnect (openvpn waits connect-retry seconds before every
# restart); the test waits for the server's reactions, not for the clients' pauses.
for cn in "${CNS[@]}"; do
  cat >"$WORK/$cn.conf" <<EOF
client
dev tun
proto udp4
remote ${REMOTE_OF[$cn]} 1194
nobind
ca $WORK/pki/ca.crt
cert $WORK/pki/$cn.crt
key $WORK/pki/$cn.key
remote-cert-tls server
disable-dco
connect-retry 0 0
server-poll-timeout 3
explicit-exit-notify 1
$(ovpn_lines seal)
verb 3
log-append $WORK/$cn.log
EOF
done

# at_least FILE PATTERN N: FILE has at least N lines matching PATTERN.
at_least() {
  local n
  n=$(grep -c "$2" "$1" 2>/dev/null) || n=0
  [ "$n" -ge "$3" ]
}

# start_srv NAME: starts the server with $WORK/NAME.conf; sets SERVER_PID, SRV_LOG.
start_srv() {
  SRV_LOG=$WORK/$1.log
  start_openvpn "$NS_SRV" "$WORK/$1.conf"
  SERVER_PID=$OPENVPN_PID
  wait_for 10 at_least "$SRV_LOG" "Initialization Sequence Completed" 1 ||
    fail "the server did not start"
}

start_cli() {
  start_openvpn "${NS_OF[$1]}" "$WORK/$1.conf"
  PID_OF[$1]=$OPENVPN_PID
}

# connected CN N...: waits until each CN's log shows its N-th completion, then records the
# addresses openvpn configured on the client's tun0 (what the server assigned).
connected() {
  local cn want
  while [ $# -gt 0 ]; do
    cn=$1 want=$2
    shift 2
    wait_for 20 at_least "$WORK/$cn.log" "Initialization Sequence Completed" "$want" ||
      fail "$cn did not connect (want completion #$want)"
    V4[$cn]=$(ip -n "${NS_OF[$cn]}" -4 -o addr show dev tun0 | awk '{print $4}' | cut -d/ -f1)
    V6[$cn]=$(ip -n "${NS_OF[$cn]}" -6 -o addr show dev tun0 scope global | awk '{print $4}' |
      cut -d/ -f1)
    if [ -z "${V4[$cn]}" ] || [ -z "${V6[$cn]}" ]; then fail "$cn has no tunnel addresses"; fi
    UP[$cn]=1
  done
}

# --- reading and predicting the sets --------------------------------------------------------
SETS=(clients clients6 admins admins6 guests guests6 nobody)
SUMMARY_SETS=(clients clients6 admins guests6)
declare -A REF_OF=([clients]="inet fw clients" [clients6]="inet fw clients6"
  [admins]="inet fw admins" [admins6]="inet fw admins6" [guests]="inet fw guests"
  [guests6]="ip6 fw6 guests6" [nobody]="inet fw nobody")

# members SET: the elements as nft holds them, one per line, sorted.
expected() {
  local set=$1 cn
  for cn in "${CNS[@]}"; do
    [ "${UP[$cn]:-0}" = 1 ] || continue
    case "$set:$cn" in
      clients:* | admins:client | admins:client2 | guests:client3)
        echo "${V4[$cn]}"
        [ "$cn" = client2 ] && echo "$IROUTE4"
        ;;
      clients6:* | admins6:client | admins6:client2 | guests6:client3)
        echo "${V6[$cn]}"
        [ "$cn" = client2 ] && echo "$IROUTE6"
        ;;
    esac
  done | sort
}


# --- all three connect ----------------------------------------------------------------------
srv_conf server "inet/fw/clients,inet/fw/clients6" "$WORK/classes"
start_srv server
HELPER_PID=$(helper_pid "$SERVER_PID")
[ -n "$HELPER_PID" ] || fail "no helper process under the server"
sets_empty || fail "the sets are not empty after the server's start:$MISMATCH"
for cn in "${CNS[@]}"; do start_cli "$cn"; done
connected client 1 client2 1 client3 1
assert_exact "three clients connected" 5
grep -q "PLUGIN vpnns: CLIENT_CONNECT: client 'client2' (#[0-9]*) goes into inet/fw/clients, inet/fw/clients6, inet/fw/admins, inet/fw/admins6$" "$SRV_LOG" ||
  fail "no CLIENT_CONNECT line for client2 naming its sets"
grep -q "PLUGIN vpnns: CLIENT_CONNECT: client 'client3' (#[0-9]*) goes into inet/fw/clients, inet/fw/clients6, inet/fw/guests, ip6/fw6/guests6$" "$SRV_LOG" ||
  fail "no CLIENT_CONNECT line for client3 naming its sets"
grep -q "PLUGIN vpnns: LEARN_ADDRESS: $IROUTE4 -> 'client2'" "$SRV_LOG" ||
  fail "no LEARN_ADDRESS line for client2's iroute"
pass "the server's log names each client's sets and client2's iroute"

# --- the forward chain: an admin gets through to the LAN, a guest is dropped ---------------
in_ns "$NS_LAN" nft add rule inet watch in ip saddr "${V4[client]}" icmp type echo-request counter name from_admin
in_ns "$NS_LAN" nft add rule inet watch in ip saddr "${V4[client3]}" icmp type echo-request counter name from_guest
lan_count() { in_ns "$NS_LAN" nft -j list counter inet watch "$1" | jq '.nftables[] | select(.counter) | .counter.packets'; }
dropped() { in_ns "$NS_SRV" nft -j list counter inet fw dropped | jq '.nftables[] | select(.counter) | .counter.packets'; }
in_ns "$NS_C1" ping -c 2 -i 0.2 -W 2 "$LAN_HOST" >/dev/null || fail "the admin's ping to the LAN host got no answer"
[ "$(lan_count from_admin)" -ge 2 ] || fail "the LAN host counted $(lan_count from_admin) of the admin's pings"
drop_before=$(dropped)
vpn_before=$(lan_count from_vpn)
if in_ns "$NS_C3" ping -c 3 -i 0.2 -W 1 "$LAN_HOST" >/dev/null; then fail "the guest's ping was answered"; fi
[ "$(dropped)" -ge $((drop_before + 3)) ] || fail "the drop counter did not rise ($drop_before -> $(dropped))"
[ "$(lan_count from_guest)" = 0 ] || fail "the LAN host saw $(lan_count from_guest) of the guest's pings"
[ "$(lan_count from_vpn)" = "$vpn_before" ] || fail "the LAN host saw VPN traffic during the guest's ping"
pass "forward chain with @admins: admin's ping answered ($(lan_count from_admin) at the LAN host), guest's dropped ($(dropped) counted, 0 at the LAN host)"

# --- client leaves cleanly ------------------------------------------------------------------
# The server acts on the client's exit notification after a fixed delay (openvpn 2.6: "Delayed
# exit in 5 seconds"), then calls CLIENT_DISCONNECT.
left_at=$SECONDS
kill -TERM "${PID_OF[client]}"
wait_gone "${PID_OF[client]}" 10 || fail "client did not exit on SIGTERM"
UP[client]=0
assert_exact "client left (SIGTERM, explicit-exit-notify)" 10
pass "  (removed $((SECONDS - left_at))s after the SIGTERM)"
grep -q "client/.*CC-EEN exit message received by peer" "$SRV_LOG" ||
  fail "the server did not receive client's exit notification"
grep -q "PLUGIN vpnns: CLIENT_DISCONNECT: client 'client' left: 2 entries removed" "$SRV_LOG" ||
  fail "no CLIENT_DISCONNECT line for client"

# --- client3 dies; the server's keepalive times it out --------------------------------------
killed_at=$SECONDS
kill -KILL "${PID_OF[client3]}"
wait_gone "${PID_OF[client3]}" 5 || fail "client3 survived SIGKILL"
sets_exact || fail "client3's addresses left before the server could know:$MISMATCH"
pass "client3 SIGKILLed: its addresses stay until the server notices"
UP[client3]=0
assert_exact "client3 timed out by the server's keepalive" 15
pass "  (removed $((SECONDS - killed_at))s after the SIGKILL)"
grep -q "client3/.*Inactivity timeout" "$SRV_LOG" || fail "the server did not time client3 out"

# --- both come back -------------------------------------------------------------------------
start_cli client
start_cli client3
connected client 2 client3 2
assert_exact "client and client3 back" 5

# --- server SIGUSR1: everybody reconnects ---------------------------------------------------
kill -USR1 "$SERVER_PID"
wait_for 10 at_least "$SRV_LOG" "Initialization Sequence Completed" 2 || fail "the server did not restart"
connected client 3 client2 2 client3 3
assert_exact "server restarted (SIGUSR1), all three reconnected" 5
[ "$(helper_pid "$SERVER_PID")" = "$HELPER_PID" ] || fail "the helper changed across SIGUSR1"
in_ns "$NS_C2" ping -c 1 -W 2 "$LAN_HOST" >/dev/null || fail "admin client2 cannot reach the LAN after SIGUSR1"
pass "after SIGUSR1: the same helper; admin client2 reaches the LAN host"

# --- server SIGKILL: empty at once ----------------------------------------------------------
kill -KILL "$SERVER_PID"
wait_for 1 sets_empty || fail "the sets are not empty a second after the server was killed:$MISMATCH"
wait_gone "$HELPER_PID" 1 || fail "the helper outlived the server"
pass "server SIGKILLed: every set empty within a second, the helper gone"

# --- next start: emptied again, and stays empty until clients get in -------------------------
# Keep the clients out while the server starts, and plant stale members the start must remove.
in_ns "$NS_SRV" nft -f - <<'EOF'
table inet gate {
  chain in {
    type filter hook prerouting priority -300; policy accept;
    udp dport 1194 drop
  }
}
EOF
in_ns "$NS_SRV" nft add element inet fw clients '{ 192.0.2.99 comment "vpnns:server2" }'
in_ns "$NS_SRV" nft add element inet fw admins '{ 192.0.2.99 comment "vpnns:server2", 198.51.100.128/25 comment "vpnns:server2" }'
in_ns "$NS_SRV" nft add element ip6 fw6 guests6 '{ 2001:db8:100::99 comment "vpnns:server2" }'
in_ns "$NS_SRV" nft add element inet fw nobody '{ 198.51.100.200 }'  # the administrator's
[ -n "$(members admins)" ] || fail "could not plant stale members"
srv_conf server2 "inet/fw/clients,inet/fw/clients6" "$WORK/classes"
start_srv server2
[ "$(members nobody)" = 198.51.100.200 ] || fail "the server's start removed a member added by hand"
in_ns "$NS_SRV" nft delete element inet fw nobody '{ 198.51.100.200 }'
sets_empty || fail "the server's start left its instance's members in place:$MISMATCH"
sleep 1
sets_empty || fail "members appeared with no client connected:$MISMATCH"
pass "next start: its instance's stale members removed, one added by hand kept; empty while no client can connect"
in_ns "$NS_SRV" nft delete table inet gate
connected client 4 client2 3 client3 4
assert_exact "clients let in after the restart" 5

# --- SIGTERM (close): empty -----------------------------------------------------------------
HELPER_PID=$(helper_pid "$SERVER_PID")
kill -TERM "$SERVER_PID"
wait_gone "$SERVER_PID" 10 || fail "the server did not exit on SIGTERM"
sets_empty || fail "the sets are not empty after the server's SIGTERM:$MISMATCH"
wait_gone "$HELPER_PID" 1 || fail "the helper outlived the server (SIGTERM)"
pass "server SIGTERM: every set empty, the helper gone"

# --- start-up refusal -------------------------------------------------------------------------
printf '*  inet/fw/admins,inet/fw/missing\nclient2  inet/fw/macs\n' >"$WORK/classes-bad"
chmod 644 "$WORK/classes-bad"
srv_conf refused "inet/fw/clients,inet/fw/clients6" "$WORK/classes-bad"
SRV_LOG=$WORK/refused.log
start_openvpn "$NS_SRV" "$WORK/refused.conf"
wait_gone "$OPENVPN_PID" 10 || fail "the server with a missing set did not stop"
! grep -q "Initialization Sequence Completed" "$SRV_LOG" || fail "the server with a missing set started"
grep -q "PLUGIN vpnns: .*set inet/fw/missing does not exist" "$SRV_LOG" ||
  fail "no log line naming the missing set"
grep -q "PLUGIN vpnns: .*set inet/fw/macs is not of type ipv4_addr or ipv6_addr" "$SRV_LOG" ||
  fail "no log line naming the set of the wrong type"
grep -q "Exiting due to fatal error" "$SRV_LOG" || fail "openvpn did not stop with a fatal error"
pass "refused at start: $(grep -o "PLUGIN vpnns: cannot start: [^—]*" "$SRV_LOG" | head -1)"
[ -z "$(ip netns pids "$NS_SRV")" ] || fail "processes left in the server's namespace: $(ip netns pids "$NS_SRV")"
pass "done in ${SECONDS}s"
