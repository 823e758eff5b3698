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

}  // namespace vpnns
