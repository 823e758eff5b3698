// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/forward_pump.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace vpnns::ctl {

Status make_pipe(SpliceDir& d) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) return sys_error("pipe", errno);
  d.pipe_r.reset(p[0]);
  d.pipe_w.reset(p[1]);
  (void)::fcntl(p[1], F_SETPIPE_SZ, kPipeSize);  // a smaller pipe only costs speed
  return ok_status();
}

bool splice_pump(int src, int dst, SpliceDir& d, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    if (d.in_pipe > 0) {
      const ssize_t n = ::splice(d.pipe_r.get(), nullptr, dst, nullptr, d.in_pipe,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      d.in_pipe -= static_cast<std::size_t>(n);
      continue;
    }
    if (d.eof) break;
    const ssize_t n = ::splice(src, nullptr, d.pipe_w.get(), nullptr, kPipeSize,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) d.eof = true;
    d.in_pipe += static_cast<std::size_t>(n);
  }
  // Also when the end came in the last round: no later event would ask again.
  if (d.eof && d.in_pipe == 0 && !d.shut) {
    (void)::shutdown(dst, SHUT_WR);
    d.shut = true;
  }
  return true;
}

}  // namespace vpnns::ctl
