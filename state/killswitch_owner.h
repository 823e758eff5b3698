// SPDX-License-Identifier: GPL-2.0-or-later
// Whether the helper a kill switch table names (its comment: kernel/killswitch_table.h) is still
// running. The helper (start-up: a running owner stops it) and vpnnsctl (status: active or held;
// reset: refuses while it runs) ask the same question the same way.
//
// A pid alone is not enough: after the owner died its pid may belong to another process, even
// to another vpnns-helper. So the process must be named vpnns-helper, be alive (not a zombie),
// and have started no later than the table's "since" (a process started after the table was
// made cannot have made it).
#pragma once

#include "kernel/killswitch_table.h"

namespace vpnns {

bool killswitch_owner_running(const KillSwitchOwner& owner);

}  // namespace vpnns
