// SPDX-License-Identifier: GPL-2.0-or-later
// The owner comments of vpnns's own tables (kernel/owned_tables.h): what the helper writes and
// what vpnnsctl reset and status read the owner from.
#include "kernel/owned_tables.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

// The seal table's comment: what reset and status read its owner from.
TEST(SealComment, NamesInstanceAndOwner) {
  const std::string c = seal_comment("work", 1234);
  EXPECT_EQ(c, "vpnns seal for openvpn instance 'work'; helper pid 1234");
  EXPECT_TRUE(c.starts_with(seal_comment_prefix("work")));
  EXPECT_FALSE(c.starts_with(seal_comment_prefix("wor")));
  EXPECT_EQ(seal_owner_pid(c), 1234);
  for (const char* bad :
       {"", "vpnns seal", "x; helper pid ", "x; helper pid 12a", "x; helper pid -3",
        "x; helper pid 0", "x; helper pid 99999999999999999999"}) {
    EXPECT_EQ(seal_owner_pid(bad), std::nullopt) << bad;
  }
}

// With the helper's start time (state/helper_identity.h): pid and start time read back.
TEST(SealComment, RecordsTheStartTime) {
  const std::string c = seal_comment("work", 1234, 987654);
  EXPECT_EQ(c, "vpnns seal for openvpn instance 'work'; helper pid 1234 start 987654");
  EXPECT_EQ(seal_owner_pid(c), 1234);
  const auto owner = table_owner(c);
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->pid, 1234);
  EXPECT_EQ(owner->start_time, 987654u);
  EXPECT_EQ(table_owner("x; helper pid 5")->start_time, std::nullopt);
  for (const char* bad : {"x; helper pid 5 start ", "x; helper pid 5 start x", "x; helper pid 5 ",
                          "x; helper pid 5 start 1 ", "x; helper pid 5 begin 1"}) {
    EXPECT_EQ(table_owner(bad), std::nullopt) << bad;
  }
}

TEST(DnsPinComment, NamesInstanceNamespaceAndOwner) {
  const std::string c = dns_pin_comment("work", "vpn", 77);
  EXPECT_EQ(c,
            "vpnns DNS pin for openvpn instance 'work' in network namespace 'vpn'; helper pid 77");
  EXPECT_TRUE(c.starts_with(dns_pin_comment_prefix("work")));
  EXPECT_FALSE(c.starts_with(dns_pin_comment_prefix("wor")));
  EXPECT_FALSE(c.starts_with(seal_comment_prefix("work")));
  EXPECT_EQ(seal_owner_pid(c), 77);  // the same ending as the seal's
}

}  // namespace
}  // namespace vpnns
