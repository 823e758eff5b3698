// SPDX-License-Identifier: GPL-2.0-or-later
// FakeKernel: the kernel as the modes see it (helper/kernel_ops.h), held in memory, so the
// modes' state machines run in unit tests without root — ninja's VirtualFileSystem for netlink.
//
// Each FakeNamespace holds links, addresses and routes; ops() hands a mode a LinkOps over one
// namespace (and the namespace its move_link() moves into). The test keeps the FakeKernel and
// looks at what the namespaces hold after each request; the mode cannot tell it from the kernel.
//
// It behaves as the kernel does where the modes depend on it: moving a device gives it a new
// ifindex in the target namespace, takes it down and drops its addresses and routes; a name
// taken there is EEXIST; a missing device is ENODEV, a missing route ESRCH, a missing address
// EADDRNOTAVAIL; a new address or route replaces one with the same key. It does not model
// anything the modes do not touch (neighbours, rules, other tables' semantics).
//
// Fault injection: fail_at(n, err) makes the n-th change from now (counting every namespace's
// changes; reads are not counted) fail with errno `err` and change nothing, as a kernel refusal
// would. Every change is also recorded in log() ("route add 0.0.0.0/0 in inner", ...).
#pragma once

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "helper/kernel_ops.h"

namespace vpnns::testing {

struct FakeNamespace {
  std::string name;
  std::vector<LinkInfo> links;
  std::vector<AddrInfo> addrs;
  std::vector<RouteInfo> routes;
  int next_ifindex = 1;

  // Test set-up (not counted, never fails): adds a device, giving it an ifindex if it has none.
  int add_link(LinkInfo link);
  [[nodiscard]] const LinkInfo* link(const std::string& name) const;
  [[nodiscard]] std::vector<AddrSpec> addresses_of(int ifindex) const;
  // Routes of one protocol (default: vpnns's), in the order the kernel holds them.
  [[nodiscard]] std::vector<RouteSpec> routes_of(std::uint8_t protocol = kRouteProtocol) const;
  friend bool operator==(const FakeNamespace& a, const FakeNamespace& b);
};

class FakeKernel {
 public:
  FakeKernel();

  // A LinkOps over `ns`; move_link() moves into `move_target`.
  std::unique_ptr<LinkOps> ops(FakeNamespace& ns, FakeNamespace* move_target = nullptr);

  // The n-th change from now (1: the next one) fails with `err`.
  void fail_at(int n, int err = EIO) {
    fail_at_ = changes_ + n;
    fail_errno_ = err;
  }
  [[nodiscard]] int changes() const { return changes_; }
  [[nodiscard]] const std::vector<std::string>& log() const { return log_; }

  // Counts one change; false (and `errno_out` set) if this is the one to fail.
  bool take_change(const std::string& what, int& errno_out);

  FakeNamespace outer{"outer", {}, {}, {}, 1};
  FakeNamespace inner{"inner", {}, {}, {}, 1};

 private:
  int changes_ = 0;
  int fail_at_ = 0;
  int fail_errno_ = EIO;
  std::vector<std::string> log_;
};

}  // namespace vpnns::testing
