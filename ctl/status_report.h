// SPDX-License-Identifier: GPL-2.0-or-later
// The report of `vpnnsctl status`: per instance, the state file's word, the kernel's word, and
// every place where they disagree. This file is the model and its health rules; it is written
// for people by status_text.h and for programs by status_json.h.
//
// Pure: it is given what was read (state file, liveness, KernelView) and decides health and
// words, so tests/unit/status_report_test.cc covers every rule without a kernel.
//
// Health. An instance is healthy when it has no problems:
//   * its state file could be read, and the helper it names is running (same pid, same start
//     time, named vpnns-helper; otherwise the file is *stale*: the helper was killed and left
//     what it had set up — `vpnnsctl reset` is for that) and so is openvpn;
//   * as root, the kernel holds what the state file says the helper set up: the namespace (the
//     same one), the device (same ifindex, up while the tunnel is up), its addresses, vpnns's
//     routes, the DNS servers in resolv.conf, the DNS pin's table (dns=pin: owned by this helper,
//     with the pinned servers), the seal's table (owned by this helper, with the
//     sealed server addresses and accepted uids; none while the seal is inactive), every client
//     set with as many members as the helper put there; and the kernel could be read.
// A failed last event is shown but is not a problem by itself (a hostile push is refused and
// the tunnel carries on); what it left wrong shows up as a disagreement.
// Unprivileged, only the state file and liveness are judged, and the report says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ctl/kernel_view.h"
#include "state/json.h"
#include "state/state.h"

namespace vpnns::ctl {

struct InstanceReport {
  std::string instance;
  std::string path;
  std::optional<InstanceState> state;
  std::string state_error;  // why `state` is missing
  bool helper_running = false;
  bool openvpn_running = false;
  std::optional<KernelView> kernel;  // read as root
  std::vector<std::string> problems;

  [[nodiscard]] bool healthy() const { return problems.empty(); }
  [[nodiscard]] bool stale() const { return state.has_value() && !helper_running; }
};

struct StatusReport {
  bool kernel_read = false;
  std::vector<InstanceReport> instances;

  [[nodiscard]] bool healthy() const;
};

// Fills in report.problems from what was read.
void evaluate(InstanceReport& report);

}  // namespace vpnns::ctl
