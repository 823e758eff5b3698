// SPDX-License-Identifier: GPL-2.0-or-later
// Which instance `vpnnsctl reset NAME` means, and whether anything still owns it.
//
// NAME is an instance name (the state file's name). If no state file has that name but one
// names NAME as its namespace, that instance is meant. Without a state file, NAME is taken for
// both the instance and the namespace. A state file that cannot be trusted stops reset before
// anything is touched.
//
// Owned means a running vpnns-helper has it: the state file's helper (same pid and start time),
// a vpnns-helper process configured with instance=NAME or netns=NAME (found by its command line,
// so also one that wrote no state file), the seal table's owner (named in its comment), or the
// helper of another state file that uses the same namespace.
#pragma once

#include <optional>
#include <string>

#include "common/error.h"
#include "state/state.h"

namespace vpnns::ctl {

// What NAME refers to.
struct Target {
  std::string instance;
  std::string netns;  // where the DNS files and --netns apply
  std::optional<InstanceState> state;
  std::string state_path;
};

// The target NAME refers to (it prints the instance when NAME was its namespace).
Result<Target> resolve(const std::string& name);

// Refuses when a running helper owns the instance or its namespace.
Status check_no_running_helper(const Target& t);

}  // namespace vpnns::ctl
