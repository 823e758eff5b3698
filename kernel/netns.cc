// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/netns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

namespace vpnns {
namespace {

// Runs `fn` on a fresh thread and returns its result. Namespace changes made by `fn` die with
// the thread.
template <typename Fn>
auto on_thread(Fn fn) -> decltype(fn()) {
  std::optional<decltype(fn())> result;
  std::thread t([&] { result.emplace(fn()); });
  t.join();
  return std::move(*result);
}

Status check_is_netns(int fd, const std::string& path) {
  struct statfs fs = {};
  if (::fstatfs(fd, &fs) < 0) return sys_error("statfs " + path, errno);
  if (fs.f_type != NSFS_MAGIC) {
    return Error(Code::kFailedPrecondition,
                 path +
                     " exists but is not a mounted namespace (a leftover file? remove it with "
                     "`ip netns delete`)");
  }
  const int type = ::ioctl(fd, NS_GET_NSTYPE);
  if (type != CLONE_NEWNET) {
    return Error(Code::kFailedPrecondition, path + " is not a network namespace");
  }
  return ok_status();
}

Result<ino_t> inode_of(const char* path) {
  struct stat st = {};
  if (::stat(path, &st) < 0) return sys_error(std::string("stat ") + path, errno);
  return st.st_ino;
}

// The propagation tags ("shared:N", "master:N") of the mount that holds `path`, from
// /proc/self/mountinfo: the entry with the longest mount point above `path` (the last one, if
// mounts are stacked).
std::string propagation_of(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, best_point, best_tags;
  while (std::getline(in, line)) {
    // id parent major:minor root mount-point options [optional fields...] - fstype ...
    std::istringstream fields(line);
    std::string id, parent, dev, root, point, options, field, tags;
    fields >> id >> parent >> dev >> root >> point >> options;
    while (fields >> field && field != "-") tags += field + " ";
    const bool above = point == "/" || path == point || path.starts_with(point + "/");
    if (above && point.size() >= best_point.size()) {
      best_point = point;
      best_tags = tags;
    }
  }
  return best_tags;
}

// True when we run in a mount namespace other than the host's, where a new bind mount on
// /run/netns would be invisible to the host. Compared with init's mount namespace when /proc/1
// can be read; otherwise (a container, a hardened /proc) told by propagation: `ip netns exec`
// and systemd's private mount namespaces are slaves of the host's, so the mount that holds
// /run/netns there carries a "master:" tag. (A fully private namespace with no propagation at
// all cannot be told from a host without shared mounts; that case is documented.)
bool in_private_mount_namespace() {
  auto self = inode_of("/proc/self/ns/mnt");
  auto init = inode_of("/proc/1/ns/mnt");
  if (self && init) return *self != *init;
  return propagation_of(kNetnsRunDir).find("master:") != std::string::npos;
}

Status make_run_dir_shared() {
  if (::mkdir(kNetnsRunDir, 0755) < 0 && errno != EEXIST) {
    return sys_error(std::string("mkdir ") + kNetnsRunDir, errno);
  }
  // As iproute2 does: /run/netns must be a shared mount so that namespaces mounted there later
  // propagate into mount namespaces that already exist (e.g. those of `ip netns exec`).
  bool bound = false;
  while (::mount("", kNetnsRunDir, "none", MS_SHARED | MS_REC, nullptr) < 0) {
    const int err = errno;
    if (err != EINVAL || bound) {
      return sys_error(std::string("making ") + kNetnsRunDir + " a shared mount", err);
    }
    if (::mount(kNetnsRunDir, kNetnsRunDir, "none", MS_BIND | MS_REC, nullptr) < 0) {
      return sys_error(std::string("bind-mounting ") + kNetnsRunDir + " on itself", errno);
    }
    bound = true;
  }
  return ok_status();
}

Status create_netns(const std::string& name, const std::string& path) {
  VPNNS_TRY(make_run_dir_shared());
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
  if (!file) {
    const int err = errno;
    if (err == EEXIST) return ok_status();  // created concurrently; the caller opens it
    return sys_error("creating " + path, err);
  }
  file.reset();
  Status mounted = on_thread([&]() -> Status {
    if (::unshare(CLONE_NEWNET) < 0) return sys_error("unshare(CLONE_NEWNET)", errno);
    if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0) {
      return sys_error("bind-mounting the new namespace on " + path, errno);
    }
    return ok_status();
  });
  if (!mounted) {
    (void)::unlink(path.c_str());
    return mounted.error().wrap("creating network namespace '" + name + "'");
  }
  return ok_status();
}

}  // namespace

Result<ino_t> netns_inode(int netns_fd) {
  struct stat st = {};
  if (::fstat(netns_fd, &st) < 0) return sys_error("fstat of a namespace fd", errno);
  return st.st_ino;
}

Result<ino_t> own_netns_inode() { return inode_of("/proc/self/ns/net"); }

Result<NetnsHandle> open_or_create_netns(const std::string& name) {
  const std::string path = std::string(kNetnsRunDir) + "/" + name;
  NetnsHandle handle;
  handle.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!handle.fd) {
    const int err = errno;
    if (err != ENOENT) return sys_error("opening " + path, err);
    if (in_private_mount_namespace()) {
      return Error(Code::kFailedPrecondition,
                   "network namespace '" + name +
                       "' does not exist, and openvpn runs in a private mount namespace (a "
                       "systemd unit with PrivateTmp= or ProtectSystem=, or `ip netns exec`), "
                       "where a namespace created now would be invisible to the rest of the "
                       "system; create it first on the host with `ip netns add " +
                       name + "` (or enable vpnns-netns@" + name + ".service)");
    }
    VPNNS_TRY(create_netns(name, path));
    handle.created = true;
    handle.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!handle.fd) return sys_error("opening " + path, errno);
  }
  VPNNS_TRY(check_is_netns(handle.fd.get(), path));
  VPNNS_ASSIGN_OR_RETURN(ino_t target, netns_inode(handle.fd.get()));
  VPNNS_ASSIGN_OR_RETURN(ino_t own, own_netns_inode());
  if (target == own) {
    return Error(Code::kFailedPrecondition,
                 "network namespace '" + name +
                     "' is openvpn's own namespace; netns= must name a separate namespace");
  }
  return handle;
}

namespace {

constexpr const char* kPingGroupRange = "/proc/sys/net/ipv4/ping_group_range";

// The whole of a small /proc/sys file, whitespace normalised ("1\t0\n" -> "1 0").
Result<std::string> read_sysctl(int fd) {
  char buf[64];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n < 0) return sys_error(std::string("reading ") + kPingGroupRange, errno);
  std::istringstream in(std::string(buf, static_cast<std::size_t>(n)));
  std::string a, b;
  in >> a >> b;
  return a + " " + b;
}

}  // namespace

Result<bool> inherit_ping_group_range(int netns_fd) {
  UniqueFd here(::open(kPingGroupRange, O_RDONLY | O_CLOEXEC));
  if (!here) return sys_error(std::string("opening ") + kPingGroupRange, errno);
  VPNNS_ASSIGN_OR_RETURN(std::string wanted, read_sysctl(here.get()));
  return on_thread([&]() -> Result<bool> {
    if (::setns(netns_fd, CLONE_NEWNET) < 0) {
      return sys_error("entering a network namespace", errno);
    }
    // Opened after setns: /proc/sys/net shows the opening thread's namespace.
    UniqueFd there(::open(kPingGroupRange, O_RDWR | O_CLOEXEC));
    if (!there) return sys_error(std::string("opening ") + kPingGroupRange + " inside", errno);
    VPNNS_ASSIGN_OR_RETURN(std::string current, read_sysctl(there.get()));
    if (current != "1 0" || wanted == current) return false;
    if (::pwrite(there.get(), wanted.data(), wanted.size(), 0) < 0) {
      return sys_error(std::string("writing ") + kPingGroupRange + " inside", errno);
    }
    return true;
  });
}

Result<UniqueFd> socket_in_netns(int netns_fd, int domain, int type, int protocol) {
  return on_thread([&]() -> Result<UniqueFd> {
    if (::setns(netns_fd, CLONE_NEWNET) < 0)
      return sys_error("entering a network namespace", errno);
    UniqueFd fd(::socket(domain, type, protocol));
    if (!fd) return sys_error("opening a socket inside a network namespace", errno);
    return fd;
  });
}

}  // namespace vpnns
