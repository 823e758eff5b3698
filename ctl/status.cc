// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl status [--json] [INSTANCE...]: what every vpnns instance is doing.
//
// For each state file under /run/vpnns (or only the instances named): whether its helper and
// openvpn are still running, what the helper says it set up, and — as root — what the kernel
// really holds (kernel_view.h), with every disagreement named (status_report.h). Unprivileged,
// it shows the state files and says that the kernel's side needs root.
//
// Exit status: 0 when every instance shown is healthy (also when there are none); 1 when one is
// not — stale (its helper is gone), unreadable, named but without a state file, or the kernel
// disagrees with its state file; 64 for a usage error. The report says which and why.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ctl/commands.h"
#include "ctl/kernel_view.h"
#include "ctl/killswitch_view.h"
#include "ctl/state_files.h"
#include "ctl/status_json.h"
#include "ctl/status_report.h"
#include "ctl/status_sets.h"
#include "ctl/status_text.h"
#include "state/process_info.h"

namespace vpnns::ctl {
namespace {

constexpr const char* kUsage = "usage: vpnnsctl status [--json] [INSTANCE...]\n";

InstanceReport inspect(const StateFileEntry& entry, bool privileged) {
  InstanceReport r;
  r.instance = entry.instance;
  r.path = entry.path;
  auto state = load_state_file(entry.path, entry.instance);
  if (!state) {
    r.state_error = state.error().text();
  } else {
    r.state = std::move(*state);
    r.helper_running = helper_running(r.state->helper_pid, r.state->helper_start_time);
    r.openvpn_running = process_running(r.state->openvpn_pid);
    if (privileged) r.kernel = read_kernel(*r.state);
  }
  evaluate(r);
  return r;
}

}  // namespace

int status_command(std::span<char* const> args) {
  bool json = false;
  std::vector<std::string> names;
  for (const char* a : args) {
    const std::string arg = a;
    if (arg == "--json") {
      json = true;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg.starts_with("-") || !is_valid_instance_name(arg)) {
      std::fprintf(stderr, "vpnnsctl status: '%s' is not an option or an instance name\n%s",
                   arg.c_str(), kUsage);
      return kExitUsage;
    } else {
      names.push_back(arg);
    }
  }

  std::vector<StateFileEntry> entries;
  if (names.empty()) {
    auto listed = list_state_files();
    if (!listed) {
      std::fprintf(stderr, "vpnnsctl status: %s\n", listed.error().text().c_str());
      return 1;
    }
    entries = std::move(*listed);
  } else {
    for (const auto& n : names) entries.push_back(StateFileEntry{n, state_file_path(n)});
  }

  StatusReport report;
  report.kernel_read = ::geteuid() == 0;
  for (const auto& e : entries) report.instances.push_back(inspect(e, report.kernel_read));
  // Set members whose instance is not running (status_sets.h).
  flag_unowned_members(report, [&](const std::string& name) {
    for (const auto& r : report.instances) {
      if (r.instance == name) return r.helper_running;
    }
    auto st = load_state_file(state_file_path(name), name);
    return st.ok() && helper_running(st->helper_pid, st->helper_start_time);
  });

  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  // Kill switches outlive their helpers and state files: listed from the kernel (root only).
  std::optional<Result<std::vector<KillSwitchView>>> ks;
  if (report.kernel_read) ks = read_killswitches();
  std::string out;
  if (json) {
    Json doc = report_json(report);
    if (ks && *ks) doc["killswitches"] = killswitch_json(**ks);
    out = json_dump(doc, true) + "\n";
  } else {
    out = report_text(report, now);
    if (ks) out += *ks ? killswitch_text(**ks, now) : "kill switches: " + ks->error().text() + "\n";
  }
  std::fputs(out.c_str(), stdout);
  return report.healthy() ? 0 : 1;
}

}  // namespace vpnns::ctl
