#include "helper/kernel_real.h"

#include <linux/rtnetlink.h>

#include "helper/link_kind.h"
#include "helper/rtnl.h"

namespace vpnns {

Result<std::vector<LinkInfo>> NetlinkLinkOps::links() {
  MessageBuffer buf;
  std::vector<LinkInfo> links;
  VPNNS_TRY(sock_.dump(
      build_link_dump(buf),
      [&](const nlmsghdr* nlh) -> Status {
        VPNNS_ASSIGN_OR_RETURN(auto link, parse_link(nlh));
        links.push_back(std::move(link));
        return ok_status();
      },
      "listing devices"));
  return links;
}

Result<std::optional<LinkInfo>> NetlinkLinkOps::find_link(const std::string& name) {
  return vpnns::find_link(sock_, name);
}

Status NetlinkLinkOps::move_link(int ifindex, const std::string& what) {
  if (move_target_fd_ < 0) return Error(Code::kInternal, what + ": no target namespace");
  MessageBuffer buf;
  return sock_.request(build_link_move(buf, ifindex, move_target_fd_), what);
}

Status NetlinkLinkOps::set_link(int ifindex, std::optional<std::uint32_t> mtu,
                                std::optional<bool> up, const std::string& what) {
  MessageBuffer buf;
  return sock_.request(build_link_set(buf, ifindex, mtu, up), what);
}

Result<std::vector<AddrInfo>> NetlinkLinkOps::addresses() {
  MessageBuffer buf;
  std::vector<AddrInfo> out;
  VPNNS_TRY(sock_.dump(
      build_addr_dump(buf),
      [&](const nlmsghdr* nlh) -> Status {
        // An address the parser cannot represent is not one of vpnns's.
        if (auto a = parse_addr(nlh)) out.push_back(*a);
        return ok_status();
      },
      "listing addresses"));
  return out;
}

Status NetlinkLinkOps::change_address(bool add, int ifindex, const AddrSpec& spec,
                                      const std::string& what) {
  MessageBuffer buf;
  return sock_.request(build_addr(buf, add ? RTM_NEWADDR : RTM_DELADDR, ifindex, spec), what);
}

Result<std::vector<RouteInfo>> NetlinkLinkOps::routes(Family family) {
  MessageBuffer buf;
  std::vector<RouteInfo> out;
  VPNNS_TRY(sock_.dump(
      build_route_dump(buf, family),
      [&](const nlmsghdr* nlh) -> Status {
        if (auto r = parse_route(nlh)) out.push_back(*r);
        return ok_status();
      },
      "listing routes"));
  return out;
}

Status NetlinkLinkOps::change_route(bool add, const RouteSpec& spec, const std::string& what) {
  MessageBuffer buf;
  return sock_.request(build_route(buf, add ? RTM_NEWROUTE : RTM_DELROUTE, spec), what);
}

}  // namespace vpnns
