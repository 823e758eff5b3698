// SPDX-License-Identifier: GPL-2.0-or-later
// read_fd(): a file read to its end, with a cap, for the small text files vpnns reads (resolv.conf,
// the client classes, the state files).
//
// The loop was written four times; the callers differ only in how they open the file (a trusted
// descriptor, O_NOFOLLOW, fstat checks) and in what "too large" means for them, so those stay
// with the caller.
#pragma once

#include <cstddef>
#include <string>

#include "common/error.h"

namespace vpnns {

// Reads `fd` to its end, retrying EINTR. Stops as soon as more than `limit` bytes are in: the
// caller sees a text longer than `limit` and says what that means for its file. A read error is
// sys_error("reading " + what, errno).
[[nodiscard]] Result<std::string> read_fd(int fd, std::size_t limit, const std::string& what);

}  // namespace vpnns
