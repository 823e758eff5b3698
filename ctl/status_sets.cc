// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/status_sets.h"

#include <set>
#include <utility>

namespace vpnns::ctl {

void flag_unowned_members(StatusReport& report,
                          const std::function<bool(const std::string& instance)>& running) {
  std::set<std::pair<std::string, std::string>> flagged;  // (set, instance)
  for (InstanceReport& r : report.instances) {
    if (!r.kernel || !r.kernel->client_sets) continue;
    for (const KernelSet& k : *r.kernel->client_sets) {
      auto flag = [&](const std::string& instance, std::uint64_t n) {
        if (n == 0 || !flagged.emplace(k.set.str(), instance).second) return;
        r.problems.push_back("set " + k.set.str() + " holds " + std::to_string(n) +
                             (n == 1 ? " member" : " members") + " of instance '" + instance +
                             "', which is not running: no running instance owns " +
                             (n == 1 ? "it" : "them") + " (the next start of '" + instance +
                             "' removes them)");
      };
      // This instance's own, if its helper is gone (a stale state file).
      if (!r.helper_running) flag(r.instance, k.members);
      for (const auto& [owner, n] : k.owners) {
        if (!owner.empty() && owner != r.instance && !running(owner)) flag(owner, n);
      }
    }
  }
}

}  // namespace vpnns::ctl
