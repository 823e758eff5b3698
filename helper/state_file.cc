// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/state_file.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <vector>

#include "state/process_info.h"

namespace vpnns {
namespace {

// The existing file's document, if there is a readable one (before confinement: plain reads).
std::optional<InstanceState> read_existing(int dir, const std::string& name) {
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  if (!fd) return std::nullopt;
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kJsonMaxText) return std::nullopt;
  }
  auto json = json_parse(text);
  if (!json) return std::nullopt;
  auto state = state_from_json(*json);
  if (!state) return std::nullopt;
  return *state;
}

// The directory's group `gid` and mode `mode` (header comment): 02755 root:vpnns, or 0755
// root:root when there is no group vpnns (a group that was deleted keeps nothing readable).
Status give_to_readers(int dir, const std::string& path, gid_t gid, mode_t mode) {
  const int before = ::setfsgid(gid);
  Status s = ok_status();
  if (::fchown(dir, static_cast<uid_t>(-1), gid) < 0) {
    s = sys_error("giving " + path + " to group " + std::to_string(gid), errno);
  } else if (::fchmod(dir, mode) < 0) {  // while in the group: else the kernel drops S_ISGID
    s = sys_error("chmod " + path, errno);
  }
  (void)::setfsgid(static_cast<gid_t>(before));
  VPNNS_TRY(s);
  struct stat st = {};
  if (::fstat(dir, &st) < 0) return sys_error("fstat " + path, errno);
  if (st.st_gid != gid || (st.st_mode & 07777) != mode) {
    return Error(Code::kPermissionDenied, path + " did not become group " + std::to_string(gid) +
                                              " (the helper lacks CAP_SETGID and CAP_CHOWN)");
  }
  return ok_status();
}

}  // namespace

std::optional<gid_t> StateFile::state_readers_gid() {
  std::vector<char> buf(65536);
  group g{};
  group* found = nullptr;
  if (::getgrnam_r(kStateGroup, &g, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return g.gr_gid;
}

Result<StateFile> StateFile::open(const std::string& instance, const std::string& dir,
                                  std::optional<gid_t> readers) {
  if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) return sys_error("mkdir " + dir, errno);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_error("opening " + dir, errno);
  struct stat st = {};
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat " + dir, errno);
  if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error(Code::kPermissionDenied,
                 dir + " must belong to root and be writable by root alone");
  }
  StateFile file(std::move(fd), dir, instance);
  const gid_t gid = readers.value_or(0);
  const mode_t mode = readers ? 02755 : 0755;
  if (st.st_gid != gid || (st.st_mode & 07777) != mode) {
    if (Status s = give_to_readers(file.dir_.get(), dir, gid, mode); !s) {
      file.warning_ = "the state file is readable by root only (not by group " +
                      std::string(kStateGroup) + "): " + s.error().text();
    }
  }
  if (auto other = read_existing(file.dir_.get(), file.name_)) {
    if (other->helper_pid != ::getpid() &&
        helper_running(other->helper_pid, other->helper_start_time)) {
      return Error(Code::kFailedPrecondition,
                   "another vpnns helper (pid " + std::to_string(other->helper_pid) +
                       ", openvpn pid " + std::to_string(other->openvpn_pid) +
                       ") reports as instance '" + instance + "' in " + file.path() +
                       "; give this openvpn its own instance=NAME");
    }
  }
  return file;
}

Status StateFile::write(const InstanceState& state) {
  const std::string text = json_dump(state_to_json(state), true) + "\n";
  const std::string shown = dir_path_ + "/" + tmp_name_;
  // A temporary left by a helper that died mid-write is ours to replace.
  if (::unlinkat(dir_.get(), tmp_name_.c_str(), 0) < 0 && errno != ENOENT) {
    return sys_error("removing " + shown, errno);
  }
  UniqueFd fd(::openat(dir_.get(), tmp_name_.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0640));
  if (!fd) return sys_error("creating " + shown, errno);
  Status status;
  std::size_t done = 0;
  while (status.ok() && done < text.size()) {
    const ssize_t n =
        ::pwrite(fd.get(), text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = sys_error("writing " + shown, errno);
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  // 0640 whatever the umask: for root and the directory's group (vpnns) to read.
  if (status.ok() && ::fchmod(fd.get(), 0640) < 0) status = sys_error("chmod " + shown, errno);
  fd.reset();
  if (status.ok() && ::renameat(dir_.get(), tmp_name_.c_str(), dir_.get(), name_.c_str()) < 0) {
    status = sys_error("renaming " + shown + " to " + name_, errno);
  }
  if (!status.ok()) {
    (void)::unlinkat(dir_.get(), tmp_name_.c_str(), 0);
    return status;
  }
  return ok_status();
}

void StateFile::remove() {
  if (!dir_) return;
  (void)::unlinkat(dir_.get(), tmp_name_.c_str(), 0);
  // The name is this helper's since open() found no other running helper behind it, so a file
  // left by a dead predecessor goes as well, even if no write of ours replaced it.
  (void)::unlinkat(dir_.get(), name_.c_str(), 0);
  dir_.reset();
}

}  // namespace vpnns
