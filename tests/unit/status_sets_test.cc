// SPDX-License-Identifier: GPL-2.0-or-later
// `vpnnsctl status` across instances sharing client sets (ctl/status_sets.h): members whose
// instance is not running are flagged once; other running instances' members and those added by
// hand are not problems.
#include "ctl/status_sets.h"

#include <gtest/gtest.h>

namespace vpnns::ctl {
namespace {

InstanceReport with_set(const std::string& instance, bool running, std::uint64_t mine,
                        std::map<std::string, std::uint64_t> others) {
  InstanceReport r;
  r.instance = instance;
  r.state = InstanceState{};
  r.helper_running = running;
  r.kernel = KernelView{};
  r.kernel->client_sets = std::vector<KernelSet>{
      KernelSet{SetRef{"inet", "fw", "clients"}, true, mine, 0, std::move(others)}};
  return r;
}

TEST(StatusSets, FlagsMembersNoRunningInstanceOwnsOnce) {
  StatusReport report;
  report.instances.push_back(with_set("udp", true, 3, {{"tcp", 2}, {"gone", 1}, {"", 4}}));
  report.instances.push_back(with_set("tcp", true, 2, {{"udp", 3}, {"gone", 1}, {"", 4}}));
  flag_unowned_members(report, [](const std::string& name) { return name != "gone"; });
  ASSERT_EQ(report.instances[0].problems.size(), 1U);
  EXPECT_EQ(report.instances[0].problems[0],
            "set inet/fw/clients holds 1 member of instance 'gone', which is not running: no "
            "running instance owns it (the next start of 'gone' removes them)");
  EXPECT_TRUE(report.instances[1].problems.empty());  // flagged once
}

TEST(StatusSets, AStaleInstancesOwnMembersAreFlagged) {
  StatusReport report;
  report.instances.push_back(with_set("tcp", false, 2, {{"", 1}}));
  flag_unowned_members(report, [](const std::string&) { return true; });
  ASSERT_EQ(report.instances[0].problems.size(), 1U);
  EXPECT_NE(report.instances[0].problems[0].find("2 members of instance 'tcp'"), std::string::npos);
}

}  // namespace
}  // namespace vpnns::ctl
