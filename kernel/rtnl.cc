// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/rtnl.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace vpnns {
namespace {

template <typename T>
T* put_header(MessageBuffer& buf, std::uint16_t type, std::uint16_t flags, nlmsghdr** out) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  *out = nlh;
  return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh, sizeof(T)));
}

// The ifinfomsg every link request starts with: any family, device `ifindex` (0: the request
// names the device, or asks for all).
nlmsghdr* put_link_header(MessageBuffer& buf, std::uint16_t type, int ifindex) {
  nlmsghdr* nlh;
  auto* ifm = put_header<ifinfomsg>(buf, type, 0, &nlh);
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = ifindex;
  return nlh;
}

int af_of(Family f) { return f == Family::kV4 ? AF_INET : AF_INET6; }

// The family of a dumped address or route; `what` names the message for the error.
Result<Family> family_of(std::uint8_t af, const char* what) {
  if (af != AF_INET && af != AF_INET6) {
    return Error(Code::kSystem, std::string(what) + " of family " + std::to_string(af));
  }
  return af == AF_INET ? Family::kV4 : Family::kV6;
}

void put_addr(nlmsghdr* nlh, std::uint16_t type, const IpAddr& a) {
  mnl_attr_put(nlh, type, a.bytes().size(), a.bytes().data());
}

// An address attribute of the family's size; nullopt for none (nullptr) or another size.
std::optional<IpAddr> get_addr(const nlattr* attr, Family family) {
  if (attr == nullptr) return std::nullopt;
  const std::size_t want = family == Family::kV4 ? 4 : 16;
  if (mnl_attr_get_payload_len(attr) != want) return std::nullopt;
  return IpAddr::from_bytes({static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr)), want});
}

// Collects the top-level attributes of a message into a table indexed by type. Attributes with
// a type beyond `max` are ignored (newer kernels add attributes; they are not ours to read).
template <std::size_t N>
struct AttrTable {
  std::array<const nlattr*, N> at{};
};

template <std::size_t N>
int collect_cb(const nlattr* attr, void* data) {
  auto* table = static_cast<AttrTable<N>*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type < N) table->at[type] = attr;
  return MNL_CB_OK;
}

template <std::size_t N>
Result<AttrTable<N>> collect(const nlmsghdr* nlh, std::size_t header_size, const char* what) {
  AttrTable<N> table;
  if (nlh->nlmsg_len < mnl_nlmsg_size(header_size) ||
      mnl_attr_parse(nlh, static_cast<unsigned>(header_size), collect_cb<N>, &table) < 0) {
    return Error(Code::kSystem, std::string("malformed ") + what + " message from the kernel");
  }
  return table;
}

template <std::size_t N>
Result<AttrTable<N>> collect_nested(const nlattr* nest, const char* what) {
  AttrTable<N> table;
  if (mnl_attr_parse_nested(nest, collect_cb<N>, &table) < 0) {
    return Error(Code::kSystem, std::string("malformed ") + what + " attribute from the kernel");
  }
  return table;
}

bool valid(const nlattr* a, mnl_attr_data_type type) {
  return a != nullptr && mnl_attr_validate(a, type) == 0;
}

}  // namespace

nlmsghdr* build_link_get(MessageBuffer& buf, std::string_view name) {
  nlmsghdr* nlh = put_link_header(buf, RTM_GETLINK, 0);
  const std::string n(name);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, n.c_str());
  return nlh;
}

nlmsghdr* build_link_get(MessageBuffer& buf, int ifindex) {
  return put_link_header(buf, RTM_GETLINK, ifindex);
}

nlmsghdr* build_link_dump(MessageBuffer& buf) { return put_link_header(buf, RTM_GETLINK, 0); }

nlmsghdr* build_link_move(MessageBuffer& buf, int ifindex, int netns_fd) {
  nlmsghdr* nlh = put_link_header(buf, RTM_NEWLINK, ifindex);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<std::uint32_t>(netns_fd));
  return nlh;
}

nlmsghdr* build_link_set(MessageBuffer& buf, int ifindex, std::optional<std::uint32_t> mtu,
                         std::optional<bool> up) {
  nlmsghdr* nlh = put_link_header(buf, RTM_NEWLINK, ifindex);
  if (up) {
    auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    ifm->ifi_change = IFF_UP;
    ifm->ifi_flags = *up ? IFF_UP : 0;
  }
  if (mtu) mnl_attr_put_u32(nlh, IFLA_MTU, *mtu);
  return nlh;
}

nlmsghdr* build_addr(MessageBuffer& buf, std::uint16_t type, int ifindex, const AddrSpec& spec) {
  nlmsghdr* nlh;
  const std::uint16_t flags = type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0;
  auto* ifa = put_header<ifaddrmsg>(buf, type, flags, &nlh);
  ifa->ifa_family = static_cast<std::uint8_t>(af_of(spec.local.family()));
  ifa->ifa_prefixlen = spec.prefix_len;
  ifa->ifa_index = static_cast<std::uint32_t>(ifindex);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  put_addr(nlh, IFA_LOCAL, spec.local);
  put_addr(nlh, IFA_ADDRESS, spec.peer ? *spec.peer : spec.local);
  if (spec.local.is_v4() && !spec.peer && spec.prefix_len < 31 && type == RTM_NEWADDR) {
    // The subnet's broadcast address, as `ip addr add ... broadcast +` would set it.
    put_addr(nlh, IFA_BROADCAST, spec.local.last_in_prefix(spec.prefix_len));
  }
  if (!spec.local.is_v4() && type == RTM_NEWADDR) {
    // A tunnel address is ours by assignment; duplicate address detection would only delay
    // its use (and a tun device has no link layer to detect duplicates on).
    mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
  }
  return nlh;
}

nlmsghdr* build_addr_dump(MessageBuffer& buf) {
  nlmsghdr* nlh;
  auto* ifa = put_header<ifaddrmsg>(buf, RTM_GETADDR, 0, &nlh);
  ifa->ifa_family = AF_UNSPEC;
  return nlh;
}

nlmsghdr* build_route(MessageBuffer& buf, std::uint16_t type, const RouteSpec& spec) {
  nlmsghdr* nlh;
  const std::uint16_t flags = type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0;
  auto* rtm = put_header<rtmsg>(buf, type, flags, &nlh);
  rtm->rtm_family = static_cast<std::uint8_t>(af_of(spec.dst.family()));
  rtm->rtm_dst_len = spec.dst.len;
  rtm->rtm_table = spec.table < 256 ? static_cast<std::uint8_t>(spec.table)
                                    : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
  rtm->rtm_protocol = spec.protocol;
  rtm->rtm_type = RTN_UNICAST;
  // A route without a gateway reaches its destination directly on the link.
  rtm->rtm_scope = spec.gateway || !spec.dst.addr.is_v4() ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  if (type == RTM_DELROUTE) rtm->rtm_scope = RT_SCOPE_NOWHERE;  // match any scope
  mnl_attr_put_u32(nlh, RTA_TABLE, spec.table);
  if (spec.dst.len > 0) put_addr(nlh, RTA_DST, spec.dst.addr);
  if (spec.gateway) put_addr(nlh, RTA_GATEWAY, *spec.gateway);
  if (spec.oif > 0) mnl_attr_put_u32(nlh, RTA_OIF, static_cast<std::uint32_t>(spec.oif));
  mnl_attr_put_u32(nlh, RTA_PRIORITY, spec.priority);
  return nlh;
}

nlmsghdr* build_route_dump(MessageBuffer& buf, Family family) {
  nlmsghdr* nlh;
  auto* rtm = put_header<rtmsg>(buf, RTM_GETROUTE, 0, &nlh);
  rtm->rtm_family = static_cast<std::uint8_t>(af_of(family));
  return nlh;
}

Result<LinkInfo> parse_link(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWLINK) return Error(Code::kSystem, "not a link message");
  VPNNS_ASSIGN_OR_RETURN(auto tb, (collect<IFLA_MAX + 1>(nlh, sizeof(ifinfomsg), "link")));
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  LinkInfo info;
  info.ifindex = ifm->ifi_index;
  info.flags = ifm->ifi_flags;
  if (!valid(tb.at[IFLA_IFNAME], MNL_TYPE_NUL_STRING)) {
    return Error(Code::kSystem, "link message without a name");
  }
  info.name = mnl_attr_get_str(tb.at[IFLA_IFNAME]);
  if (valid(tb.at[IFLA_MTU], MNL_TYPE_U32)) info.mtu = mnl_attr_get_u32(tb.at[IFLA_MTU]);
  if (valid(tb.at[IFLA_LINKINFO], MNL_TYPE_NESTED)) {
    VPNNS_ASSIGN_OR_RETURN(auto li,
                           (collect_nested<IFLA_INFO_MAX + 1>(tb.at[IFLA_LINKINFO], "linkinfo")));
    if (valid(li.at[IFLA_INFO_KIND], MNL_TYPE_STRING)) {
      const auto* kind = static_cast<const char*>(mnl_attr_get_payload(li.at[IFLA_INFO_KIND]));
      info.kind.assign(kind, strnlen(kind, mnl_attr_get_payload_len(li.at[IFLA_INFO_KIND])));
    }
    if (info.kind == "tun" && valid(li.at[IFLA_INFO_DATA], MNL_TYPE_NESTED)) {
      VPNNS_ASSIGN_OR_RETURN(auto td,
                             (collect_nested<IFLA_TUN_MAX + 1>(li.at[IFLA_INFO_DATA], "tun info")));
      if (valid(td.at[IFLA_TUN_TYPE], MNL_TYPE_U8)) {
        info.tun_type = mnl_attr_get_u8(td.at[IFLA_TUN_TYPE]);
      }
    }
  }
  return info;
}

Result<AddrInfo> parse_addr(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWADDR) return Error(Code::kSystem, "not an address message");
  VPNNS_ASSIGN_OR_RETURN(auto tb, (collect<IFA_MAX + 1>(nlh, sizeof(ifaddrmsg), "address")));
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  VPNNS_ASSIGN_OR_RETURN(const Family family, family_of(ifa->ifa_family, "address"));
  std::optional<IpAddr> local = get_addr(tb.at[IFA_LOCAL], family);
  const std::optional<IpAddr> address = get_addr(tb.at[IFA_ADDRESS], family);
  if (!local) local = address;
  if (!local) return Error(Code::kSystem, "address message without an address");
  AddrInfo info{static_cast<int>(ifa->ifa_index), AddrSpec{*local, ifa->ifa_prefixlen, {}}};
  if (address && *address != *local) info.spec.peer = address;
  return info;
}

Result<RouteInfo> parse_route(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWROUTE) return Error(Code::kSystem, "not a route message");
  VPNNS_ASSIGN_OR_RETURN(auto tb, (collect<RTA_MAX + 1>(nlh, sizeof(rtmsg), "route")));
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  VPNNS_ASSIGN_OR_RETURN(const Family family, family_of(rtm->rtm_family, "route"));
  std::optional<IpAddr> dst = get_addr(tb.at[RTA_DST], family);
  if (!dst) {
    dst = family == Family::kV4 ? IpAddr::v4({}) : IpAddr::v6({});
  }
  RouteInfo info;
  info.type = rtm->rtm_type;
  info.spec.dst = Prefix{*dst, rtm->rtm_dst_len};
  info.spec.protocol = rtm->rtm_protocol;
  info.spec.table = rtm->rtm_table;
  if (valid(tb.at[RTA_TABLE], MNL_TYPE_U32)) info.spec.table = mnl_attr_get_u32(tb.at[RTA_TABLE]);
  info.spec.gateway = get_addr(tb.at[RTA_GATEWAY], family);
  if (valid(tb.at[RTA_OIF], MNL_TYPE_U32)) {
    info.spec.oif = static_cast<int>(mnl_attr_get_u32(tb.at[RTA_OIF]));
  }
  if (valid(tb.at[RTA_PRIORITY], MNL_TYPE_U32)) {
    info.spec.priority = mnl_attr_get_u32(tb.at[RTA_PRIORITY]);
  }
  return info;
}

}  // namespace vpnns
