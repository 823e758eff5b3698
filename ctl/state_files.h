// SPDX-License-Identifier: GPL-2.0-or-later
// Finding and reading the helpers' state files (/run/vpnns/INSTANCE.json; state/state.h).
//
// vpnnsctl believes a state file only if root could have written it: a regular file owned by
// root, not writable by group or others, in a directory of the same kind, and naming the
// instance its file name says. Anything else is reported, never acted on (reset removes files
// on a state file's word).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "state/state.h"

namespace vpnns::ctl {

struct StateFileEntry {
  std::string instance;
  std::string path;
};

// Every INSTANCE.json in `dir`, by name; none if `dir` does not exist.
Result<std::vector<StateFileEntry>> list_state_files(const std::string& dir = kStateDir);

// Reads and checks one state file. kNotFound if there is none.
Result<InstanceState> load_state_file(const std::string& path, const std::string& instance);

// Whether `name` can name an instance (1-32 characters of A-Z a-z 0-9 _ . -).
bool is_valid_instance_name(const std::string& name);

}  // namespace vpnns::ctl
