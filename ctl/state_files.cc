// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/state_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/names.h"
#include "common/read_fd.h"
#include "common/unique_fd.h"

namespace vpnns::ctl {

namespace {

Status check_dir(const std::string& dir) {
  struct stat st = {};
  if (::stat(dir.c_str(), &st) < 0) {
    if (errno == ENOENT) return Error(Code::kNotFound, dir + " does not exist", ENOENT);
    return sys_error("stat " + dir, errno);
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error(Code::kPermissionDenied,
                 dir +
                     " is not a root-owned directory writable by root alone; its files are "
                     "not believed");
  }
  return ok_status();
}

}  // namespace

bool is_valid_instance_name(const std::string& name) {
  return name.size() <= 32 && is_valid_netns_name(name);
}

Result<std::vector<StateFileEntry>> list_state_files(const std::string& dir) {
  std::vector<StateFileEntry> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) {
    if (errno == ENOENT) return out;
    return sys_error("listing " + dir, errno);
  }
  VPNNS_TRY(check_dir(dir));
  while (const dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    // ".INSTANCE.json.tmp" is a write in progress; hidden names are never instances.
    if (name.starts_with(".") || !name.ends_with(".json")) continue;
    const std::string instance = name.substr(0, name.size() - 5);
    if (!is_valid_instance_name(instance)) continue;
    out.push_back(StateFileEntry{instance, dir + "/" + name});
  }
  std::sort(out.begin(), out.end(), [](const StateFileEntry& a, const StateFileEntry& b) {
    return a.instance < b.instance;
  });
  return out;
}

Result<InstanceState> load_state_file(const std::string& path, const std::string& instance) {
  const auto slash = path.rfind('/');
  VPNNS_TRY(check_dir(slash == 0 ? "/" : path.substr(0, slash)));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT) return Error(Code::kNotFound, "no state file " + path, ENOENT);
    if (err == EACCES) {
      return Error(Code::kPermissionDenied,
                   path + " is for root and group " + kStateGroup +
                       " to read (it names a server's clients); ask an administrator to add you",
                   err);
    }
    return sys_error("opening " + path, err);
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat " + path, errno);
  if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error(Code::kPermissionDenied,
                 path + " is not a regular root-owned file writable by root alone; ignored");
  }
  if (st.st_size > static_cast<off_t>(kJsonMaxText)) {
    return Error(Code::kInvalidArgument, path + " is over 1 MiB; ignored");
  }
  VPNNS_ASSIGN_OR_RETURN(std::string text, read_fd(fd.get(), kJsonMaxText, path));
  if (text.size() > kJsonMaxText) {
    return Error(Code::kInvalidArgument, path + " is over 1 MiB; ignored");
  }
  VPNNS_ASSIGN_OR_RETURN(Json json, json_parse(text));
  VPNNS_ASSIGN_OR_RETURN(InstanceState state, state_from_json(json));
  if (state.instance != instance) {
    return Error(Code::kInvalidArgument,
                 path + " describes instance '" + state.instance + "', not '" + instance + "'");
  }
  return state;
}

}  // namespace vpnns::ctl
