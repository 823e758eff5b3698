// SPDX-License-Identifier: GPL-2.0-or-later
// One direction of a relayed TCP connection (forward_relay.h): bytes move from `src` to `dst`
// through a pipe with splice(2), never through user space. Pure of any loop state, so it is
// unit-tested on socketpairs (tests/unit/forward_test.cc).
#pragma once

#include <cstddef>

#include "common/error.h"
#include "common/unique_fd.h"

namespace vpnns::ctl {

// 256 KiB: each relayed connection holds two, and a user whose pipes add up to more than
// pipe-user-pages-soft (64 MiB) gets small pipes everywhere (pipe(7)).
inline constexpr int kPipeSize = 256 * 1024;

struct SpliceDir {
  UniqueFd pipe_r, pipe_w;
  std::size_t in_pipe = 0;  // bytes read from src, not yet written to dst
  bool eof = false;         // src said end of stream
  bool shut = false;        // ... and dst was told (shutdown SHUT_WR)
};

// A pipe for `d` (non-blocking, kPipeSize when the kernel allows it).
Status make_pipe(SpliceDir& d);

// Moves what it can without blocking, at most `rounds` reads or writes (so that one connection
// cannot starve the others), and passes an end of stream on once every byte before it is out.
// false: the connection failed (reset, or any error but EAGAIN).
bool splice_pump(int src, int dst, SpliceDir& d, int rounds);

}  // namespace vpnns::ctl
