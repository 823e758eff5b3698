// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/tun_fd.h"

#include <dirent.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace vpnns {
namespace {

// /dev/net/tun is the misc character device 10:200 (Documentation/admin-guide/devices.txt).
constexpr unsigned kTunMajor = 10;
constexpr unsigned kTunMinor = 200;
// openvpn's descriptors are low; a huge RLIMIT_NOFILE must not make the scan slow.
constexpr rlim_t kMaxScannedFd = 65536;

}  // namespace

std::optional<TunAttachment> tun_attachment(int fd) {
  struct stat st = {};
  if (fd < 0 || ::fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != kTunMajor ||
      minor(st.st_rdev) != kTunMinor) {
    return std::nullopt;
  }
  ifreq ifr = {};
  if (::ioctl(fd, TUNGETIFF, &ifr) < 0) return std::nullopt;  // EBADFD: not attached
  TunAttachment out;
  out.name.assign(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));
  out.flags = static_cast<unsigned short>(ifr.ifr_flags);
  return out;
}

std::vector<int> own_tun_fds(const std::string& dev) {
  std::vector<int> out;
  // Where /proc is mounted (openvpn before its chroot), the open descriptors are listed there.
  if (DIR* dir = ::opendir("/proc/self/fd"); dir != nullptr) {
    const int own = ::dirfd(dir);
    while (const dirent* e = ::readdir(dir)) {
      int fd = -1;
      const char* end = e->d_name + std::strlen(e->d_name);
      if (std::from_chars(e->d_name, end, fd).ptr != end || fd == own) continue;
      const auto tun = tun_attachment(fd);
      if (tun && tun->name == dev) out.push_back(fd);
    }
    ::closedir(dir);
    return out;
  }
  // In a chroot: every number below the limit.
  rlimit lim = {};
  rlim_t end = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) end = lim.rlim_cur;
  end = std::min(end, kMaxScannedFd);
  for (rlim_t fd = 0; fd < end; ++fd) {
    const auto tun = tun_attachment(static_cast<int>(fd));
    if (tun && tun->name == dev) out.push_back(static_cast<int>(fd));
  }
  return out;
}

}  // namespace vpnns
