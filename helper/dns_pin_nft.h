// SPDX-License-Identifier: GPL-2.0-or-later
// The DNS pin's nftables table (dns=pin): what it contains, how it is built, how it is read back.
//
// It lives *inside* the protected namespace, where the applications are:
//
//   table inet vpnns-dns {
//     comment "vpnns DNS pin for openvpn instance 'work' in network namespace 'work'; helper pid N"
//     counter dropped { }
//     set ports    { type inet_service; elements = { 53, 853 } }
//     set servers4 { type ipv4_addr; elements = { <pushed IPv4 DNS servers> } }
//     set servers6 { type ipv6_addr; elements = { <pushed IPv6 DNS servers> } }
//     chain output {
//       type filter hook output priority filter; policy accept;
//       oif "lo" accept
//       ip daddr @servers4 accept
//       ip6 daddr @servers6 accept
//       udp dport @ports counter name "dropped" drop
//       tcp dport @ports counter name "dropped" drop
//     }
//   }
//
// DNS (port 53) and DNS over TLS (853), over UDP and TCP, reach only the servers the VPN pushed;
// every other such packet is counted and dropped. With no server pushed the sets are empty and
// all of it is dropped: fail closed. Why a firewall as well as resolv.conf: `ip netns exec`
// shows an application the namespace's resolv.conf through a bind mount, and a bind mount on a
// file silently stops covering it when the host replaces its /etc/resolv.conf by rename (what
// NetworkManager, dhclient and resolvconf do); from then on the application asks whatever server
// the host's file names — through the tunnel, but to a server the VPN did not choose. The pin does
// not depend on which file an application reads.
//
// What it does not cover, by design: loopback (a resolver inside the namespace is reachable; its
// own queries out are pinned like any other), traffic to other ports (DNS over HTTPS looks like
// any HTTPS), and root inside the namespace (which can delete the table; the pin protects against
// configuration going wrong, not against a hostile administrator of the namespace).
//
// One table per namespace, fixed name: a client's namespace holds one tunnel only (tunnel.h
// refuses a second). The comment names its owner. Builders are pure and write into an NftBatch
// (tests/unit/dns_pin_nft_test.cc parses them back), from kernel/nft_build.h's vocabulary;
// read_dns_pin_state() (kernel/owned_tables.h) asks the kernel what the table really holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ip.h"
#include "kernel/nft.h"
#include "kernel/owned_tables.h"

namespace vpnns {

// The names, DnsPinState and read_dns_pin_state() are kernel/owned_tables.h's (vpnnsctl reads
// them too).
inline constexpr std::size_t kDnsPinRules = 5;
// The ports pinned: DNS and DNS over TLS.
inline constexpr std::uint16_t kDnsPorts[] = {53, 853};

struct DnsPinSpec {
  std::string table = kDnsPinTable;
  std::string comment;          // names the owner: "... helper pid N"
  std::vector<IpAddr> servers;  // the pushed DNS servers, both families, no duplicates
};

// Replaces any table of that name with a fresh one holding `spec`, in one transaction.
void build_dns_pin_install(NftBatch& batch, const DnsPinSpec& spec);

// Adds (or removes) a server to (from) the servers4/servers6 set of its family.
void build_dns_pin_server(NftBatch& batch, const std::string& table, bool add,
                          const IpAddr& server);

// Whether the table is vpnns's pin in its full shape (whatever servers it holds), so that only
// set elements need to change.
bool dns_pin_intact(const DnsPinState& state, const DnsPinSpec& spec);
// Whether `state` is exactly what `spec` asks for.
bool dns_pin_matches(const DnsPinState& state, const DnsPinSpec& spec);

}  // namespace vpnns
