// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/exec_terminal.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>

namespace vpnns::ctl {

ExecTermModes modes_of(const termios& t) {
  ExecTermModes m;
  m.iflag = t.c_iflag;
  m.oflag = t.c_oflag;
  m.cflag = t.c_cflag;
  m.lflag = t.c_lflag;
  m.line = t.c_line;
  static_assert(sizeof t.c_cc == 32);
  std::copy(std::begin(t.c_cc), std::end(t.c_cc), m.cc.begin());
  m.ispeed = ::cfgetispeed(&t);
  m.ospeed = ::cfgetospeed(&t);
  return m;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        (void)::poll(&p, 1, -1);
        continue;
      }
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace vpnns::ctl
