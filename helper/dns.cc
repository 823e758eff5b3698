// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/dns.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "common/read_fd.h"
#include "common/unique_fd.h"

namespace vpnns {
namespace {

constexpr const char* kHostsLine = "hosts:          files dns";

// Opens (creating if missing) a directory that must belong to root and be writable by root
// alone.
Result<UniqueFd> open_root_dir(int parent, const std::string& name, const std::string& shown,
                               uid_t owner) {
  if (::mkdirat(parent, name.c_str(), 0755) < 0 && errno != EEXIST) {
    return sys_error("mkdir " + shown, errno);
  }
  UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_error("opening " + shown, errno);
  struct stat st = {};
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat " + shown, errno);
  if (st.st_uid != owner || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error(Code::kPermissionDenied,
                 shown + " must belong to root and not be writable by group or others");
  }
  return fd;
}

Status write_in_place(int dir, const char* name, const std::string& shown,
                      const std::string& content, uid_t owner) {
  UniqueFd fd(::openat(dir, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644));
  if (!fd) return sys_error("opening " + shown, errno);
  struct stat st = {};
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat " + shown, errno);
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != owner) {
    return Error(Code::kPermissionDenied,
                 shown + " must be a regular root-owned file with a single link");
  }
  // Write first, then cut: a reader never sees an empty file, at worst briefly the old tail.
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n =
        ::pwrite(fd.get(), content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("writing " + shown, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(content.size())) < 0) {
    return sys_error("truncating " + shown, errno);
  }
  if ((st.st_mode & 07777) != 0644 && ::fchmod(fd.get(), 0644) < 0) {
    return sys_error("chmod " + shown, errno);
  }
  return ok_status();
}

Result<std::string> read_small_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    if (errno == ENOENT) return std::string();
    return sys_error("reading " + path, errno);
  }
  VPNNS_ASSIGN_OR_RETURN(std::string out, read_fd(fd.get(), 1 << 20, path));
  if (out.size() > 1 << 20) return Error(Code::kFailedPrecondition, path + " is over 1 MiB");
  return out;
}

}  // namespace

std::string render_resolv_conf(const DnsConfig& dns) {
  std::ostringstream out;
  out << "# Written by vpnns: the DNS servers of this namespace's VPN tunnel.\n";
  if (dns.servers.empty()) {
    out << "# The VPN pushed no DNS servers; name lookups in this namespace fail.\n";
  }
  for (const auto& s : dns.servers) out << "nameserver " << s.str() << "\n";
  if (!dns.search.empty()) {
    out << "search";
    for (const auto& d : dns.search) out << " " << d;
    out << "\n";
  }
  return out.str();
}

std::string render_nsswitch_conf(std::string_view host) {
  std::string out =
      "# Written by vpnns: the host's nsswitch.conf with name lookups kept to\n"
      "# files and the tunnel's DNS servers.\n";
  bool replaced = false;
  while (!host.empty()) {
    const auto nl = host.find('\n');
    std::string_view line = host.substr(0, nl);
    host = nl == std::string_view::npos ? std::string_view{} : host.substr(nl + 1);
    std::string_view trimmed = line;
    while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) {
      trimmed.remove_prefix(1);
    }
    if (trimmed.starts_with("hosts:")) {
      if (!replaced) out += std::string(kHostsLine) + "\n";
      replaced = true;
      continue;
    }
    out.append(line);
    out += '\n';
  }
  if (!replaced) out += std::string(kHostsLine) + "\n";
  return out;
}

DnsFiles::DnsFiles(std::string netns, std::string etc_dir, std::string host_nsswitch, uid_t owner)
    : netns_(std::move(netns)),
      etc_dir_(std::move(etc_dir)),
      host_nsswitch_(std::move(host_nsswitch)),
      owner_(owner) {}

Status DnsFiles::write(const DnsConfig& dns) {
  VPNNS_ASSIGN_OR_RETURN(std::string host, read_small_file(host_nsswitch_));
  const auto slash = etc_dir_.rfind('/');
  const std::string parent = slash == 0 ? "/" : etc_dir_.substr(0, slash);
  // O_PATH: only a base for mkdirat/openat (Landlock lets the helper open nothing in /etc).
  UniqueFd parent_fd(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd) return sys_error("opening " + parent, errno);
  VPNNS_ASSIGN_OR_RETURN(
      UniqueFd etc, open_root_dir(parent_fd.get(), etc_dir_.substr(slash + 1), etc_dir_, owner_));
  VPNNS_ASSIGN_OR_RETURN(UniqueFd dir, open_root_dir(etc.get(), netns_, this->dir(), owner_));
  VPNNS_TRY(write_in_place(dir.get(), "resolv.conf", this->dir() + "/resolv.conf",
                           render_resolv_conf(dns), owner_));
  VPNNS_TRY(write_in_place(dir.get(), "nsswitch.conf", this->dir() + "/nsswitch.conf",
                           render_nsswitch_conf(host), owner_));
  written_ = dns;
  return ok_status();
}

Status DnsFiles::remove() {
  UniqueFd etc(::open(etc_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!etc) return errno == ENOENT ? ok_status() : Status(sys_error("opening " + etc_dir_, errno));
  UniqueFd dir(
      ::openat(etc.get(), netns_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir)
    return errno == ENOENT ? ok_status() : Status(sys_error("opening " + this->dir(), errno));
  for (const char* name : {"resolv.conf", "nsswitch.conf"}) {
    if (::unlinkat(dir.get(), name, 0) < 0 && errno != ENOENT) {
      return sys_error("removing " + this->dir() + "/" + name, errno);
    }
  }
  // The directory goes too if vpnns's files were all it held.
  if (::unlinkat(etc.get(), netns_.c_str(), AT_REMOVEDIR) < 0 && errno != ENOTEMPTY &&
      errno != EEXIST && errno != ENOENT) {
    return sys_error("removing " + this->dir(), errno);
  }
  written_.reset();
  return ok_status();
}

}  // namespace vpnns
