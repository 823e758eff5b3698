// SPDX-License-Identifier: GPL-2.0-or-later
// The kill switch's nftables table: what it contains, how it is built.
//
//   table inet vpnns-ks-<instance> {
//     comment "vpnns kill switch for openvpn instance 'NAME'; killswitch=yes; ...; helper pid N"
//     counter dropped_out { }  counter dropped_fwd { }  counter dropped_in { }
//     set uids    { type uid; }            openvpn's socket owners (the seal's; not with a mark)
//     set reconnect_uids { type uid; }     the owners of a socket openvpn opens anew: 0 until
//                                          openvpn drops privileges, then its `user` alone
//     set server4 { type ipv4_addr; }      the VPN server's current address (the seal's)
//     set server6 { type ipv6_addr; }
//     set tunnels { type ifname; }         the tunnel device, learned at the first UP
//     chain output {
//       type filter hook output priority filter; policy accept;
//       oifname @tunnels accept
//       oifname "lo" accept
//       ip daddr @server4 OPENVPN accept            OPENVPN: meta skuid @uids | meta mark N
//       ip6 daddr @server6 OPENVPN accept
//       meta l4proto udp th dport 1194 NEW accept    (one per killswitch-ports= entry)
//       meta l4proto udp th dport 53 NEW accept      openvpn's own name lookups
//       meta l4proto tcp th dport 53 NEW accept      NEW: meta skuid @reconnect_uids | meta mark N
//       meta nfproto ipv4 udp sport 68 udp dport 67 accept        DHCPv4
//       meta nfproto ipv6 udp sport 546 udp dport 547 accept      DHCPv6
//       icmpv6 type nd-router-solicit ip6 hoplimit 255 accept     (and 135, 136: NS, NA)
//       icmpv6 type mld2-listener-report ip6 hoplimit 1 accept
//       ip daddr 10.0.0.0/8 accept ...                 allow-lan=yes only (kLanPrefixes)
//       counter name "dropped_out" drop
//     }
//     chain forward {
//       type filter hook forward priority filter; policy accept;
//       oifname @tunnels accept
//       iifname @tunnels ct state established,related accept
//       ip daddr 10.0.0.0/8 accept ...                 allow-lan=yes only
//       counter name "dropped_fwd" drop
//     }
//     chain input {
//       type filter hook input priority filter; policy accept;
//       iifname "lo" accept
//       ct state established,related accept
//       iifname @tunnels accept
//       meta nfproto ipv4 udp sport 67 udp dport 68 accept        DHCPv4 replies
//       meta nfproto ipv6 udp sport 547 udp dport 546 accept      DHCPv6 replies
//       icmpv6 type nd-router-advert ip6 hoplimit 255 accept      (and 135, 136)
//       ip saddr 10.0.0.0/8 accept ...                 allow-lan=yes only (unicast ranges)
//       counter name "dropped_in" drop
//     }
//   }
//
// Why this shape. The final drop of each chain, not the policy, so every dropped packet is
// counted; a drop in any base chain is final in nftables, so no other table's accept opens it.
// Root's sockets: openvpn opens its first socket and makes its first lookups as root, so uid 0 is
// openvpn until it drops privileges; its reconnects (new sockets, new lookups: after SIGUSR1)
// come from its `user`. So the ports and DNS rules accept uid 0 only until the drop, after which
// no other root process may look names up or reach a `remote` port outside the tunnel; the
// server rule keeps uid 0, as the seal does, for the socket openvpn opened as root. With
// seal-mark=N only openvpn's marked sockets pass any of them.
// The tunnel rule comes first: it is the only one the data path meets. No `ct state
// established` in output or forward-out: a connection opened before openvpn started must not
// keep leaking. The tunnel is matched by name (a set of ifname), so a device re-created by a
// restart under the same name still passes. Inbound connections from the physical side are
// dropped (their replies would go out unprotected); replies to what was let out come back.
// Every rule of an inet chain that reads an address first tests the family (meta nfproto).
//
// Builders are pure: they fill an NftBatch (tests/unit/killswitch_nft_test.cc parses them back).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/ip.h"
#include "kernel/killswitch_table.h"
#include "kernel/nft.h"

namespace vpnns {

// allow-lan=yes: private, link-local and local-scope multicast destinations (and sources, for
// inbound), the same list Mullvad's firewall allows: RFC 1918, 169.254/16, 224.0.0.0/24
// (link-local multicast: mDNS, LLMNR), 239.255.255.250 (SSDP), the limited broadcast,
// fe80::/10, fc00::/7 (ULA), ff02::/16 (link-local multicast). Wider multicast scopes could be
// routed off the link, so they are not in it.
inline constexpr std::array<const char*, 10> kLanPrefixes = {
    "10.0.0.0/8",         "172.16.0.0/12",      "192.168.0.0/16", "169.254.0.0/16", "224.0.0.0/24",
    "239.255.255.250/32", "255.255.255.255/32", "fe80::/10",      "fc00::/7",       "ff02::/16"};

struct KillSwitchSpec {
  std::string table;    // "vpnns-ks-<instance>"
  std::string comment;  // killswitch_comment()
  bool allow_lan = false;
  std::set<std::uint32_t> uids;            // openvpn's socket owners (ignored with a mark)
  std::set<std::uint32_t> reconnect_uids;  // owners of its new sockets (ignored with a mark)
  std::optional<std::uint32_t> mark;       // seal-mark=N
  std::optional<IpAddr> server;            // the VPN server's current address
  std::vector<RemotePort> ports;           // killswitch-ports=
  std::optional<std::string> tunnel;       // the tunnel device's name
  friend bool operator==(const KillSwitchSpec&, const KillSwitchSpec&) = default;
};

// Rules per chain (output, forward, input) for `spec`.
struct KillSwitchRules {
  std::size_t out = 0, fwd = 0, in = 0;
};
KillSwitchRules killswitch_rule_counts(const KillSwitchSpec& spec);

// Replaces any table of that name with a fresh one holding `spec`, in one transaction: a held
// kill switch is replaced without a moment in between.
void build_killswitch_install(NftBatch& batch, const KillSwitchSpec& spec);
// One element of the server4/server6, uids or tunnels set, added or removed.
void build_killswitch_server(NftBatch& batch, const std::string& table, bool add,
                             const IpAddr& server);
void build_killswitch_uid(NftBatch& batch, const std::string& table, bool add, std::uint32_t uid,
                          bool reconnect = false);
void build_killswitch_tunnel(NftBatch& batch, const std::string& table, bool add,
                             const std::string& dev);

// Whether the table is intact (comment, rules, sets) — its elements may still differ.
bool killswitch_intact(const KillSwitchState& state, const KillSwitchSpec& spec);
// Whether `state` is exactly what `spec` asks for.
bool killswitch_matches(const KillSwitchState& state, const KillSwitchSpec& spec);

}  // namespace vpnns
