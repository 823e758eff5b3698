// SPDX-License-Identifier: GPL-2.0-or-later
// A throw-away world for driving a real helper as root, without openvpn.
//
// SetUp creates a network namespace that plays openvpn's namespace, moves the test process into
// it (the test is single-threaded, so setns works for the whole process), and opens a real tun
// device there with TUNSETIFF, exactly as openvpn does. start() spawns the built helper through
// the plugin's own HelperProcess. The kernel's state is read back with `ip`, independently of
// the helper's own parsers. TearDown closes everything and deletes the namespaces, their
// /etc/netns files and the helper's namespace marker, also when the test failed.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "helper_ipc/messages.h"
#include "plugin/helper_process.h"

namespace vpnns::testing {

// Runs a shell command (test observation only) and returns its stdout; fails the test on a
// non-zero exit unless `may_fail`.
std::string sh(const std::string& cmd, bool may_fail = false);

// The whole text of the file at `path` ("" if it cannot be read).
std::string read_file(const std::string& path);
// Whether anything (a link not followed) is at `path`.
bool exists(const std::string& path);
// Waits up to two seconds for process `pid` to be gone (or a zombie).
bool process_gone(pid_t pid);

// Opens a tun (or tap) device named `name` in the calling thread's namespace.
UniqueFd open_tun(const std::string& name, bool tap = false);

IpAddr ip(const char* text);
Prefix prefix(const char* text);

class HelperTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Spawns the helper with netns=target_ (unless `netns` is false) and the given extra
  // key=value words; the instance (seal table vpnns-<instance_>) is per test.
  void start(const std::vector<std::string>& extra = {}, bool netns = true);
  // Sends a request and returns the helper's reply (fails the test if the channel fails).
  Reply call(const Request& request);
  Reply expect_ok(const Request& request);
  Reply expect_refused(const Request& request, const std::string& reason);

  UpRequest subnet_up() const;
  RouteUpRequest route_up() const;

  // Kernel state, as `ip` prints it.
  std::string links(const std::string& ns) const;
  std::string addrs(const std::string& ns, const std::string& dev) const;
  std::string routes(const std::string& ns) const;
  // Everything a request could have changed: links, addresses, routes in both namespaces,
  // the namespace list, and /etc/netns/<target>.
  std::string snapshot() const;

  std::string outer_;     // plays openvpn's namespace
  std::string target_;    // netns= of the configuration
  std::string instance_;  // names the seal table: vpnns-<instance_>
  // The hosts openvpn's configuration would connect to (the seal's evidence, peer_evidence.h).
  std::vector<std::string> remotes_ = {"198.51.100.1", "2001:db8:1::1"};
  std::string tun_name_ = "tunp0";
  UniqueFd tun_;
  UniqueFd original_ns_;
  std::optional<HelperProcess> helper_;
};

}  // namespace vpnns::testing
