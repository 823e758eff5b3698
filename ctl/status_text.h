// SPDX-License-Identifier: GPL-2.0-or-later
// `vpnnsctl status` without --json: the status report (status_report.h) for people, one block
// per instance (its health, processes, namespace, DNS, seal, client sets, last event, and each
// problem after a '!'), every string made safe for a terminal (printable.h).
#pragma once

#include <cstdint>
#include <string>

#include "ctl/status_report.h"

namespace vpnns::ctl {

// `now`: seconds since the epoch, for "12 s ago".
std::string report_text(const StatusReport& report, std::int64_t now);

}  // namespace vpnns::ctl
