// SPDX-License-Identifier: GPL-2.0-or-later
// LinkOps: the seam between a mode's logic and the kernel's rtnetlink, in one network namespace.
//
// The modes (tunnel.h, seal.h ...) decide; the kernel holds. Every question a mode asks the
// kernel about links, addresses and routes, and every change it makes, goes through this
// interface, so the same state machine runs against the real kernel (kernel_real.h, over
// netlink.h and rtnl.h) in the helper and against an in-memory fake (tests/unit/fake_kernel.h)
// in unit tests that need no root — the way ninja's tests swap its disk for a
// VirtualFileSystem. Nothing here decides anything: no policy, no validation.
//
// RtnlTransaction groups changes into one all-or-nothing step: each change carries its undo,
// and if one fails, those already made are undone in reverse order, so what the kernel holds is
// what it held before (as far as the undo could put it back; the first error is returned).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ip.h"
#include "kernel/rtnl.h"

namespace vpnns {

class LinkOps {
 public:
  virtual ~LinkOps() = default;

  virtual Result<std::vector<LinkInfo>> links() = 0;
  // nullopt if no device of that name exists here.
  virtual Result<std::optional<LinkInfo>> find_link(const std::string& name) = 0;
  // Moves device `ifindex` from this namespace into the mode's target namespace.
  virtual Status move_link(int ifindex, const std::string& what) = 0;
  // Sets MTU and/or the administrative state.
  virtual Status set_link(int ifindex, std::optional<std::uint32_t> mtu, std::optional<bool> up,
                          const std::string& what) = 0;

  virtual Result<std::vector<AddrInfo>> addresses() = 0;
  // Adds (or replaces) or deletes one address.
  virtual Status change_address(bool add, int ifindex, const AddrSpec& spec,
                                const std::string& what) = 0;

  virtual Result<std::vector<RouteInfo>> routes(Family family) = 0;
  // Adds (or replaces: same destination, priority and table) or deletes one route.
  virtual Status change_route(bool add, const RouteSpec& spec, const std::string& what) = 0;
};

// An error that says the thing to remove is already gone (a deletion that lost a race).
bool is_gone(const Error& e);

class RtnlTransaction {
 public:
  using Op = std::function<Status()>;

  // `tolerate_gone`: a failure that is_gone() is not a failure (deletions).
  void add(Op apply, Op undo, bool tolerate_gone = false);
  // Runs every change in order; on the first failure undoes the ones made, newest first, and
  // returns that failure. The transaction is spent either way.
  Status commit();
  [[nodiscard]] bool empty() const { return steps_.empty(); }
  [[nodiscard]] std::size_t size() const { return steps_.size(); }

 private:
  struct Step {
    Op apply;
    Op undo;
    bool tolerate_gone;
  };
  std::vector<Step> steps_;
};

}  // namespace vpnns
