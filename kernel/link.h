// Looking up one link by name in a namespace, over an rtnetlink socket there.
//
// The reader only: what the kernel says the device is (index, kind, flags, MTU; rtnl.h's
// LinkInfo). What vpnns does with a kind — refusing a DCO device, say — is the helper's decision
// (helper/link_kind.h). A missing device is an answer (nullopt), not an error.
#pragma once

#include <optional>
#include <string>

#include "common/error.h"
#include "kernel/netlink.h"
#include "kernel/rtnl.h"

namespace vpnns {

// The device `name` as the kernel describes it in `sock`'s namespace; nullopt if there is none.
Result<std::optional<LinkInfo>> find_link(NetlinkSocket& sock, const std::string& name);

}  // namespace vpnns
