// SPDX-License-Identifier: GPL-2.0-or-later
// How many sockets inside vpnns namespaces one user holds through all their forwards at once.
//
// Each forward is a session process of its own (session.h), so the count per user is kept where
// every session can read it and no session can lie for another: one file per forward session,
// /run/vpnns/forward/UID.PID, holding the session's count of live sockets (socket_request.h)
// as a decimal number, and locked (flock) by the session for as long as it runs. A session
// asks for a new socket only while the sum over the user's locked files, its own included, is
// below kMaxForwardSocketsPerUser. A file nobody holds a lock on belongs to a session that is
// gone (killed, crashed): it counts for nothing and is removed. The directory is root's (0700);
// users never see it. Should it be unusable (no /run/vpnns), the per-user count is not kept,
// the service's log says so once, and each forward keeps its own limit.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace vpnns {

inline constexpr std::size_t kMaxForwardSocketsPerUser = 1024;
inline constexpr const char* kForwardQuotaDir = "/run/vpnns/forward";

class ForwardQuota {
 public:
  // Creates this session's file (the directory too, when its parent exists).
  static Result<ForwardQuota> open(uid_t uid, const std::string& dir = kForwardQuotaDir);
  ForwardQuota(ForwardQuota&&) = default;
  ForwardQuota& operator=(ForwardQuota&&) = default;
  ~ForwardQuota();

  // This session's live sockets, for the others to read.
  void publish(std::size_t mine);
  // The live sockets of every forward session of the user, this one's included.
  [[nodiscard]] std::size_t total() const;

 private:
  ForwardQuota(std::string dir, std::string path, uid_t uid, UniqueFd fd)
      : dir_(std::move(dir)), path_(std::move(path)), uid_(uid), fd_(std::move(fd)) {}

  std::string dir_, path_;
  uid_t uid_ = 0;
  UniqueFd fd_;
  std::size_t mine_ = 0;
};

}  // namespace vpnns
