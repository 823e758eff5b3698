// SPDX-License-Identifier: GPL-2.0-or-later
// vpnns-execd's token bucket for the lines a client can cause (execd/log_limit.h).
#include "execd/log_limit.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

using Lines = std::vector<std::string>;

TEST(LogLimit, ABurstThenOneLinePerRefillAndTheCount) {
  LogLimit limit(3, 1000);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limit.admit("x", 0), Lines{"x"});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limit.admit("x", 999), Lines{}) << i;
  EXPECT_EQ(limit.suppressed(), 1000u);
  // One token back after a second: the count first, then the line.
  EXPECT_EQ(limit.admit("y", 1000), (Lines{"1000 similar messages suppressed (rate limit)", "y"}));
  EXPECT_EQ(limit.admit("y", 1500), Lines{});
  EXPECT_EQ(limit.flush(), "1 similar message suppressed (rate limit)");
  EXPECT_EQ(limit.flush(), "");
  // A long pause refills to the burst, no more.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limit.admit("z", 100'000), Lines{"z"});
  EXPECT_EQ(limit.admit("z", 100'000), Lines{});
}

}  // namespace
}  // namespace vpnns
