// SPDX-License-Identifier: GPL-2.0-or-later
// Reaching vpnns-execd: vpnnsctl exec connects to the service's socket. A refusal of the socket's
// permissions (EACCES: not in the socket's group) is answered here in the words the service
// would use, since it never heard of us — with a hint when the group lists the caller but this
// login session predates it; a missing socket or no listener says how to enable the service.
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace vpnns::ctl {

// A SEQPACKET connection to the service at `path`.
Result<UniqueFd> connect_service(const std::string& path);

}  // namespace vpnns::ctl
