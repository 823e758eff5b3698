// SPDX-License-Identifier: GPL-2.0-or-later
// `vpnnsctl status` across instances that share client sets (helper/client_sets.h): every
// member vpnns adds carries its instance ("vpnns:NAME"), so the kernel tells whose each member
// is. A member whose instance is not running — its helper was SIGKILLed, or it never came
// back — is one no running instance owns: it grants a client's access nobody maintains. Each
// such (set, instance) is flagged once, on the first report that sees the set; the next start
// of that instance removes exactly those members.
//
// Pure: whether an instance runs is asked of `running` (status.cc: the report's own instances,
// else that instance's state file and helper), so unit tests need no kernel.
#pragma once

#include <functional>
#include <string>

#include "ctl/status_report.h"

namespace vpnns::ctl {

// Adds to the reports' problems every set member whose instance `running` says is not running.
void flag_unowned_members(StatusReport& report,
                          const std::function<bool(const std::string& instance)>& running);

}  // namespace vpnns::ctl
