// SPDX-License-Identifier: GPL-2.0-or-later
// The state file's "killswitch" member (state.h's schema; helper/killswitch.h): what the helper
// installed. The drop counters are not in it: they are the kernel's, read by vpnnsctl. And
// whether a kill switch's owner still runs (killswitch_owner.h).
#include <unistd.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "state/killswitch_owner.h"
#include "state/process_info.h"
#include "state/state.h"

namespace vpnns {

Json killswitch_json(const StateKillSwitch& k) {
  return {{"table", k.table},
          {"mode", k.mode},
          {"allow_lan", k.allow_lan},
          {"since", k.since},
          {"tunnel", k.tunnel ? Json(*k.tunnel) : Json()}};
}

}  // namespace vpnns

namespace vpnns {
namespace {

// Seconds since the epoch at boot (/proc/stat "btime"); 0 if unknown.
std::int64_t boot_time() {
  std::ifstream stat("/proc/stat");
  std::string key;
  std::int64_t value = 0;
  while (stat >> key) {
    if (key == "btime" && (stat >> value)) return value;
    stat.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

}  // namespace

bool killswitch_owner_running(const KillSwitchOwner& owner) {
  auto info = process_info(owner.helper_pid);
  if (!info || info->comm != kHelperComm || !process_running(owner.helper_pid)) return false;
  const std::int64_t boot = boot_time();
  const long ticks = ::sysconf(_SC_CLK_TCK);
  if (boot == 0 || ticks <= 0) return true;  // cannot tell: assume it is the owner
  const std::int64_t started = boot + static_cast<std::int64_t>(info->start_time) / ticks;
  // btime is whole seconds and start_time is rounded: a second of slack either way.
  return started <= owner.since + 1;
}

}  // namespace vpnns
