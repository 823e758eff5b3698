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
// Readers: root and group vpnns (state/state.h: 0640). After start-up the helper cannot chown
// (no CAP_CHOWN; Debian's openvpn units never grant it), so the group comes from the directory:
// open() makes /run/vpnns setgid group vpnns (02755 root:vpnns, still writable by root alone),
// and every file created in it afterwards — the temporary that becomes the state file included —
// gets group vpnns from the kernel; write() makes it 0640. To set the directory's group, open()
// sets its file-system gid to vpnns for the two calls (CAP_SETGID, which those units keep; the
// owner of a file may give it to a group it is in) and back. Without group vpnns the directory
// goes back to 0755 root:root (a deleted group's gid may be reused), and the files are root's
// alone to read; so they are when setting the group fails (said once in openvpn's log).
//
// Another running helper may already report under the same instance name (two openvpn
// configurations called work.conf in different directories): then this helper writes nothing,
// and never removes that file; start-up says so in openvpn's log. A file left by a helper that
// is gone is simply replaced.
//
// Nothing here may fail an event: Service turns every error into one warning in openvpn's log.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "state/state.h"

namespace vpnns {

class StateFile {
 public:
  // `dir` is kStateDir except in tests.
  // `readers` is group vpnns's gid (nullopt: no such group) except in tests.
  static Result<StateFile> open(const std::string& instance, const std::string& dir = kStateDir,
                                std::optional<gid_t> readers = state_readers_gid());
  // The gid of group vpnns, if it exists.
  static std::optional<gid_t> state_readers_gid();

  // Replaces the file with `state`, atomically.
  Status write(const InstanceState& state);
  // Removes the file and a leftover temporary. Idempotent.
  void remove();

  [[nodiscard]] std::string path() const { return dir_path_ + "/" + name_; }
  // Why the state files are not group vpnns's ("" when they are, or there is no such group).
  [[nodiscard]] const std::string& warning() const { return warning_; }

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
  std::string warning_;
};

}  // namespace vpnns
