#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenVPN 2.7's multi-socket server end to end: one openvpn process listening on UDP and on TCP
# (`local ADDRESS PORT PROTO` twice), keeping vpnns's nftables client sets exact for a client on
# each socket.
#
# The server (user nobody, group nogroup, chroot, persist-tun, topology subnet, IPv4 + IPv6 pool)
# runs the plugin with client-set=inet/fw/clients,inet/fw/clients6 and a client-classes file
# (client → admins/admins6, client2 → guests/ip6 fw6 guests6); it listens on UDP 198.51.100.1:1194
# and on TCP 198.51.100.9:1194. Two plain openvpn clients, each in its own namespace with its own
# veth link: `client` calls over UDP, `client2` over TCP.
#
# Asserts, with `nft -j list set` in the server's namespace, the exact members of every set:
#   both connected, one per socket (the server's and the clients' logs say which transport);
#   the UDP client leaves (SIGTERM, explicit-exit-notify) → only its addresses go;
#   the TCP client leaves (SIGTERM, the connection closes) → only its addresses go: all empty;
#   both back → exact again; the TCP client's connection is reset under it (the server's side of
#   the TCP socket is killed with `ss -K`) → it goes, and comes back over TCP;
#   server SIGTERM with both connected → every set empty, the helper gone.
# This test is for OpenVPN 2.7 and newer (2.6 has one socket per process): it fails, not skips,
# on an older openvpn.
TEST_NAME=server-multisocket
source "$(dirname "$0")/lib.sh"
# shellcheck source=sets_lib.sh
source "$(dirname "$0")/sets_lib.sh"

ovpn_at_least 2 7 ||
  fail "a multi-socket server needs OpenVPN 2.7 or newer; this is $OPENVPN_VERSION (set VPNNS_OPENVPN)"

NS_C1=$ID-c1
NS_C2=$ID-c2
CNS=(client client2)
declare -A NS_OF=([client]=$NS_C1 [client2]=$NS_C2)
declare -A PROTO_OF=([client]=udp4 [client2]=tcp4-client)
declare -A REMOTE_OF=([client]=198.51.100.1 [client2]=198.51.100.9)
declare -A PID_OF=() V4=() V6=() UP=()
JAIL=$WORK/srvjail

# --- topology: the server and two client hosts, a /29 each -----------------------------------
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

make_pki

# --- the administrator's ruleset ------------------------------------------------------------
in_ns "$NS_SRV" nft -f - <<'EOF'
table inet fw {
  set clients { type ipv4_addr; flags interval; }
  set clients6 { type ipv6_addr; flags interval; }
  set admins { type ipv4_addr; flags interval; }
  set admins6 { type ipv6_addr; flags interval; }
  set guests { type ipv4_addr; flags interval; }
}
table ip6 fw6 {
  set guests6 { type ipv6_addr; flags interval; }
}
EOF

cat >"$WORK/classes" <<'EOF'
client   inet/fw/admins,inet/fw/admins6
client2  inet/fw/guests,ip6/fw6/guests6
EOF
chmod 644 "$WORK/classes"

mkdir -p "$JAIL/tmp"
chmod 1777 "$JAIL/tmp"

cat >"$WORK/server.conf" <<EOF
dev tun
local 198.51.100.1 1194 udp
local 198.51.100.9 1194 tcp
topology subnet
server 192.0.2.0 255.255.255.0
server-ipv6 2001:db8:100::/64
keepalive 1 5
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
log-append $WORK/server.log
plugin $PLUGIN helper=$HELPER client-set=inet/fw/clients,inet/fw/clients6 client-classes=$WORK/classes
EOF

for cn in "${CNS[@]}"; do
  # explicit-exit-notify is for UDP only.
  een=""
  [ "$cn" = client ] && een="explicit-exit-notify 1"
  cat >"$WORK/$cn.conf" <<EOF
client
dev tun
proto ${PROTO_OF[$cn]}
remote ${REMOTE_OF[$cn]} 1194
nobind
ca $WORK/pki/ca.crt
cert $WORK/pki/$cn.crt
key $WORK/pki/$cn.key
remote-cert-tls server
disable-dco
connect-retry 1 1
server-poll-timeout 3
$een
$(ovpn_lines seal)
verb 3
log-append $WORK/$cn.log
EOF
done

SRV_LOG=$WORK/server.log

# at_least FILE PATTERN N: FILE has at least N lines matching PATTERN.
at_least() {
  local n
  n=$(grep -c "$2" "$1" 2>/dev/null) || n=0
  [ "$n" -ge "$3" ]
}

start_cli() {
  start_openvpn "${NS_OF[$1]}" "$WORK/$1.conf"
  PID_OF[$1]=$OPENVPN_PID
}

# forget PID: a process of ours that is gone leaves STARTED_PIDS (the EXIT trap must never signal
# a PID the system has handed to someone else since).
forget() {
  local p keep=()
  for p in "${STARTED_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  STARTED_PIDS=("${keep[@]}")
}

# stop_cli CN: SIGTERM, and the client is gone.
stop_cli() {
  kill -TERM "${PID_OF[$1]}"
  wait_gone "${PID_OF[$1]}" 10 || fail "$1 did not exit on SIGTERM"
  forget "${PID_OF[$1]}"
  UP[$1]=0
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
SETS=(clients clients6 admins admins6 guests guests6)
SUMMARY_SETS=(clients clients6 admins guests)
declare -A REF_OF=([clients]="inet fw clients" [clients6]="inet fw clients6"
  [admins]="inet fw admins" [admins6]="inet fw admins6" [guests]="inet fw guests"
  [guests6]="ip6 fw6 guests6")

# members SET: the elements as nft holds them, one per line, sorted.
expected() {
  local set=$1 cn
  for cn in "${CNS[@]}"; do
    [ "${UP[$cn]:-0}" = 1 ] || continue
    case "$set:$cn" in
      clients:* | admins:client | guests:client2) echo "${V4[$cn]}" ;;
      clients6:* | admins6:client | guests6:client2) echo "${V6[$cn]}" ;;
    esac
  done | sort
}


# --- one process, two sockets ----------------------------------------------------------------
start_openvpn "$NS_SRV" "$WORK/server.conf"
SERVER_PID=$OPENVPN_PID
wait_for 10 grep -qs "Initialization Sequence Completed" "$SRV_LOG" || fail "the server did not start"
HELPER_PID=$(helper_pid "$SERVER_PID")
[ -n "$HELPER_PID" ] || fail "no helper process under the server"
grep -q "UDPv4 link local (bound): \[AF_INET\]198.51.100.1:1194" "$SRV_LOG" ||
  fail "the server did not bind its UDP socket"
grep -q "TCPv4_SERVER link local (bound): \[AF_INET\]198.51.100.9:1194" "$SRV_LOG" ||
  fail "the server did not bind its TCP socket"
# Both sockets belong to the one openvpn process.
socket_of_server() {
  in_ns "$NS_SRV" ss -H -n -p "$@" | grep -q "pid=$SERVER_PID,"
}
socket_of_server -u -a sport = :1194 src 198.51.100.1 || fail "no UDP socket of openvpn on 198.51.100.1:1194"
socket_of_server -t -l sport = :1194 src 198.51.100.9 || fail "no listening TCP socket of openvpn on 198.51.100.9:1194"
sets_empty || fail "the sets are not empty after the server's start:$MISMATCH"
pass "one openvpn process (pid $SERVER_PID) listens on UDP 198.51.100.1:1194 and TCP 198.51.100.9:1194; the sets are empty"

# --- a client on each socket -----------------------------------------------------------------
start_cli client
start_cli client2
connected client 1 client2 1
grep -q "UDPv4 link remote: \[AF_INET\]198.51.100.1:1194" "$WORK/client.log" ||
  fail "client did not call over UDP"
grep -q "TCP connection established with \[AF_INET\]198.51.100.9:1194" "$WORK/client2.log" ||
  fail "client2 did not call over TCP"
grep -q "TCP connection established with \[AF_INET\]198.51.100.10:" "$SRV_LOG" ||
  fail "the server did not accept client2's TCP connection"
grep -q "^.*198.51.100.2:[0-9]* \[client\] Peer Connection Initiated" "$SRV_LOG" ||
  fail "the server did not see client over UDP from 198.51.100.2"
pass "client is connected over UDP, client2 over TCP, to the same server process"
assert_exact "both connected, one per socket" 5
grep -q "PLUGIN vpnns: CLIENT_CONNECT: client 'client' (#[0-9]*) goes into inet/fw/clients, inet/fw/clients6, inet/fw/admins, inet/fw/admins6$" "$SRV_LOG" ||
  fail "no CLIENT_CONNECT line for client naming its sets"
grep -q "PLUGIN vpnns: CLIENT_CONNECT: client 'client2' (#[0-9]*) goes into inet/fw/clients, inet/fw/clients6, inet/fw/guests, ip6/fw6/guests6$" "$SRV_LOG" ||
  fail "no CLIENT_CONNECT line for client2 naming its sets"
# Traffic through the tunnel both ways, on each transport (the server answers from its tun).
in_ns "$NS_C1" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "client (UDP) cannot ping the server's tunnel address"
in_ns "$NS_C2" ping -c 1 -W 3 192.0.2.1 >/dev/null || fail "client2 (TCP) cannot ping the server's tunnel address"
pass "each client pings the server through its tunnel"

# --- the UDP client leaves: only its addresses go --------------------------------------------
left_at=$SECONDS
stop_cli client
assert_exact "the UDP client left (SIGTERM, explicit-exit-notify); the TCP client's addresses stay" 10
pass "  (removed $((SECONDS - left_at))s after the SIGTERM)"
grep -q "PLUGIN vpnns: CLIENT_DISCONNECT: client 'client' left: 2 entries removed" "$SRV_LOG" ||
  fail "no CLIENT_DISCONNECT line for client"

# --- then the TCP client: all empty -------------------------------------------------------------
left_at=$SECONDS
stop_cli client2
assert_exact "the TCP client left (SIGTERM)" 10
sets_empty || fail "the sets are not empty:$MISMATCH"
pass "  (removed $((SECONDS - left_at))s after the SIGTERM)"
grep -q "PLUGIN vpnns: CLIENT_DISCONNECT: client 'client2' left: 2 entries removed" "$SRV_LOG" ||
  fail "no CLIENT_DISCONNECT line for client2"

# --- both back; the TCP connection is reset under the TCP client ------------------------------
start_cli client
start_cli client2
connected client 2 client2 2
assert_exact "both back" 5
old_v4=${V4[client2]}
completions=$(grep -c "Initialization Sequence Completed" "$WORK/client2.log")
in_ns "$NS_SRV" ss -K -t -n src 198.51.100.9 sport = :1194 dst 198.51.100.10 >/dev/null ||
  fail "ss -K could not kill the server's side of client2's TCP connection"
# The server drops the client at once; the client notices the reset, reconnects over TCP.
connected client2 $((completions + 1))
# The server took client2 out (a second CLIENT_DISCONNECT for it) and put it back; the UDP
# client was never touched.
wait_for 5 at_least "$SRV_LOG" "PLUGIN vpnns: CLIENT_DISCONNECT: client 'client2' left: 2 entries removed" 2 ||
  fail "the server did not disconnect client2 when its TCP connection was reset"
[ "$(grep -c "PLUGIN vpnns: CLIENT_DISCONNECT: client 'client' left" "$SRV_LOG")" = 1 ] ||
  fail "the UDP client was disconnected by the TCP reset"
assert_exact "client2's TCP connection reset, client2 back over TCP" 10
[ "$(grep -c "TCP connection established with \[AF_INET\]198.51.100.9:1194" "$WORK/client2.log")" -ge 2 ] ||
  fail "client2 did not reconnect over TCP"
pass "  (client2 had ${old_v4} before the reset, has ${V4[client2]} after it)"

# --- server SIGTERM with both connected: empty, the helper gone -------------------------------
HELPER_PID=$(helper_pid "$SERVER_PID")
[ -n "$HELPER_PID" ] || fail "no helper process under the server"
kill -TERM "$SERVER_PID"
wait_gone "$SERVER_PID" 10 || fail "the server did not exit on SIGTERM"
forget "$SERVER_PID"
sets_empty || fail "the sets are not empty after the server's SIGTERM:$MISMATCH"
wait_gone "$HELPER_PID" 1 || fail "the helper outlived the server (SIGTERM)"
pass "server SIGTERM with both clients connected: every set empty, the helper gone"
for cn in "${CNS[@]}"; do
  [ "${UP[$cn]}" = 1 ] && stop_cli "$cn"
done
[ -z "$(ip netns pids "$NS_SRV")" ] || fail "processes left in the server's namespace: $(ip netns pids "$NS_SRV")"
pass "done in ${SECONDS}s"
