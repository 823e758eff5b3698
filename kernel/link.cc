// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/link.h"

#include <cerrno>

namespace vpnns {

Result<std::optional<LinkInfo>> find_link(NetlinkSocket& sock, const std::string& name) {
  MessageBuffer buf;
  std::optional<LinkInfo> found;
  Status s = sock.request(build_link_get(buf, name), "looking up device " + name,
                          [&](const nlmsghdr* nlh) -> Status {
                            VPNNS_ASSIGN_OR_RETURN(found, parse_link(nlh));
                            return ok_status();
                          });
  if (!s) {
    if (s.error().sys_errno() == ENODEV) return std::optional<LinkInfo>();
    return s.error();
  }
  return found;
}

namespace {

// Every message of a dump as `parse` reads it; `skip_unparsed`: a message it refuses is left out
// rather than failing the dump.
template <typename T>
Result<std::vector<T>> dump_parsed(NetlinkSocket& sock, nlmsghdr* request,
                                   Result<T> (*parse)(const nlmsghdr*), bool skip_unparsed,
                                   const std::string& what) {
  std::vector<T> out;
  VPNNS_TRY(sock.dump(
      request,
      [&](const nlmsghdr* nlh) -> Status {
        Result<T> v = parse(nlh);
        if (!v) return skip_unparsed ? ok_status() : v.status();
        out.push_back(std::move(*v));
        return ok_status();
      },
      what));
  return out;
}

}  // namespace

Result<std::vector<LinkInfo>> list_links(NetlinkSocket& sock, const std::string& what) {
  MessageBuffer buf;
  return dump_parsed(sock, build_link_dump(buf), parse_link, false, what);
}

Result<std::vector<AddrInfo>> list_addresses(NetlinkSocket& sock, const std::string& what) {
  MessageBuffer buf;
  return dump_parsed(sock, build_addr_dump(buf), parse_addr, true, what);
}

Result<std::vector<RouteInfo>> list_routes(NetlinkSocket& sock, Family family,
                                           const std::string& what) {
  MessageBuffer buf;
  return dump_parsed(sock, build_route_dump(buf, family), parse_route, true, what);
}

}  // namespace vpnns
