// SPDX-License-Identifier: GPL-2.0-or-later
// Looking up one link by name in a namespace, and listing its links, addresses and routes, over
// an rtnetlink socket there (the helper's kernel seam and vpnnsctl status read alike).
//
// The reader only: what the kernel says the device is (index, kind, flags, MTU; rtnl.h's
// LinkInfo). What vpnns does with a kind — refusing a DCO device, say — is the helper's decision
// (helper/link_kind.h). A missing device is an answer (nullopt), not an error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "kernel/netlink.h"
#include "kernel/rtnl.h"

namespace vpnns {

// The device `name` as the kernel describes it in `sock`'s namespace; nullopt if there is none.
Result<std::optional<LinkInfo>> find_link(NetlinkSocket& sock, const std::string& name);

// Dumps of `sock`'s namespace; `what` names the dump in errors ("listing devices"). A link the
// parser refuses fails the dump; an address or route it cannot represent (rtnl.h) is not one of
// vpnns's and is left out.
Result<std::vector<LinkInfo>> list_links(NetlinkSocket& sock, const std::string& what);
Result<std::vector<AddrInfo>> list_addresses(NetlinkSocket& sock, const std::string& what);
Result<std::vector<RouteInfo>> list_routes(NetlinkSocket& sock, Family family,
                                           const std::string& what);

}  // namespace vpnns
