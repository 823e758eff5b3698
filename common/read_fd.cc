// SPDX-License-Identifier: GPL-2.0-or-later
// read_fd() (read_fd.h).
#include "common/read_fd.h"

#include <unistd.h>

#include <cerrno>

namespace vpnns {

Result<std::string> read_fd(int fd, std::size_t limit, const std::string& what) {
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("reading " + what, errno);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > limit) break;
  }
  return text;
}

}  // namespace vpnns
