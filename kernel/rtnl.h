// SPDX-License-Identifier: GPL-2.0-or-later
// rtnetlink messages: pure builders and parsers for links, addresses and routes.
//
// Builders write one request into a MessageBuffer and return its header; parsers turn one
// kernel message into a value, validating every attribute they read (type and length) and
// ignoring the rest. Neither touches a socket, so unit tests build a message, parse it back with
// libmnl and compare (tests/unit/rtnl_test.cc).
//
// Routes vpnns adds carry their own protocol number, kRouteProtocol, so the helper can tell its
// routes from the kernel's and anyone else's in every dump — and so can a person: iproute2 shows
// "proto vpnns" once /etc/iproute2/rt_protos.d/vpnns.conf (installed with vpnns) names it.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/ip.h"
#include "kernel/netlink.h"

namespace vpnns {

inline constexpr std::uint8_t kRouteProtocol = 86;  // 'V'; unassigned in rtnetlink.h
inline constexpr std::uint32_t kMainTable = 254;    // RT_TABLE_MAIN
// Route priority ("metric") when none is given: the kernel's own defaults, made explicit so
// dumps compare equal to requests.
inline constexpr std::uint32_t kDefaultMetricV4 = 0;
inline constexpr std::uint32_t kDefaultMetricV6 = 1024;

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::string kind;                      // IFLA_INFO_KIND: "tun", "veth", "ovpn-dco", ...
  std::optional<std::uint8_t> tun_type;  // IFLA_TUN_TYPE: 1 = tun, 2 = tap
  unsigned flags = 0;                    // IFF_*
  std::uint32_t mtu = 0;
};

struct AddrSpec {
  IpAddr local;
  std::uint8_t prefix_len;
  std::optional<IpAddr> peer;  // IPv4 point-to-point peer
  friend bool operator==(const AddrSpec&, const AddrSpec&) = default;
};

struct AddrInfo {
  int ifindex = 0;
  AddrSpec spec;
};

struct RouteSpec {
  Prefix dst;
  std::optional<IpAddr> gateway;
  int oif = 0;
  std::uint32_t priority = 0;
  std::uint32_t table = kMainTable;
  std::uint8_t protocol = kRouteProtocol;
  friend bool operator==(const RouteSpec&, const RouteSpec&) = default;
};

struct RouteInfo {
  RouteSpec spec;
  std::uint8_t type = 0;  // RTN_*
};

nlmsghdr* build_link_get(MessageBuffer& buf, std::string_view name);
nlmsghdr* build_link_get(MessageBuffer& buf, int ifindex);
nlmsghdr* build_link_dump(MessageBuffer& buf);
// Moves a link into the namespace referred to by netns_fd.
nlmsghdr* build_link_move(MessageBuffer& buf, int ifindex, int netns_fd);
// Sets MTU and/or the administrative state.
nlmsghdr* build_link_set(MessageBuffer& buf, int ifindex, std::optional<std::uint32_t> mtu,
                         std::optional<bool> up);

// RTM_NEWADDR (create or replace) or RTM_DELADDR.
nlmsghdr* build_addr(MessageBuffer& buf, std::uint16_t type, int ifindex, const AddrSpec& spec);
nlmsghdr* build_addr_dump(MessageBuffer& buf);

// RTM_NEWROUTE (create or replace) or RTM_DELROUTE.
nlmsghdr* build_route(MessageBuffer& buf, std::uint16_t type, const RouteSpec& spec);
nlmsghdr* build_route_dump(MessageBuffer& buf, Family family);

Result<LinkInfo> parse_link(const nlmsghdr* nlh);
Result<AddrInfo> parse_addr(const nlmsghdr* nlh);
// Routes that vpnns cannot represent (multipath, non-unicast families) still parse; their
// spec holds what could be read.
Result<RouteInfo> parse_route(const nlmsghdr* nlh);

}  // namespace vpnns
