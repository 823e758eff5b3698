// SPDX-License-Identifier: GPL-2.0-or-later
// StateFile: the helper's side of /run/vpnns/INSTANCE.json (the schema is state/state.h).
//
// Opened at start-up, while the helper may still create directories and read /proc: the
// directory /run/vpnns is created if missing (0755) and held open as a descriptor, and it must
// belong to root and be writable by root alone — a state file is read by root (vpnnsctl reset
// acts on it), so nobody else may plant one. Every later write goes through that descriptor
// with *at() calls, which is all the seccomp filter allows (confine.h: openat, pwrite64, fchmod,
// renameat, unlinkat): a temporary file ".INSTANCE.json.tmp" in the same directory, then a
// rename over INSTANCE.json, so a reader sees the old or the new document, never half of one.
//
// Another running helper may already report under the same instance name (two openvpn
// configurations called work.conf in different directories): then this helper writes nothing,
// and never removes that file; start-up says so in openvpn's log. A file left by a helper that
// is gone is simply replaced.
//
// Nothing here may fail an event: Service turns every error into one warning in openvpn's log.
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "state/state.h"

namespace vpnns {

class StateFile {
 public:
  // `dir` is kStateDir except in tests.
  static Result<StateFile> open(const std::string& instance, const std::string& dir = kStateDir);

  // Replaces the file with `state`, atomically.
  Status write(const InstanceState& state);
  // Removes the file and a leftover temporary. Idempotent.
  void remove();

  [[nodiscard]] std::string path() const { return dir_path_ + "/" + name_; }

 private:
  StateFile(UniqueFd dir, std::string dir_path, const std::string& instance)
      : dir_(std::move(dir)),
        dir_path_(std::move(dir_path)),
        name_(instance + ".json"),
        tmp_name_("." + instance + ".json.tmp") {}

  UniqueFd dir_;
  std::string dir_path_;
  std::string name_;
  std::string tmp_name_;
};

}  // namespace vpnns
