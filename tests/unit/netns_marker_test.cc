// SPDX-License-Identifier: GPL-2.0-or-later
// Namespace markers, the pure part: the one-line DEV:INO format, strictly. (Writing, checking
// ownership and matching against real namespaces: tests/priv/netns_marker_test.cc.)
#include "state/netns_marker.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

TEST(NetnsMarker, FormatsAndParses) {
  const NetnsId id{4, 4026532177};
  EXPECT_EQ(format_netns_marker(id), "4:4026532177\n");
  auto back = parse_netns_marker(format_netns_marker(id));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, id);
  auto zero = parse_netns_marker("0:1\n");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, (NetnsId{0, 1}));
  auto big = parse_netns_marker("18446744073709551615:18446744073709551615\n");
  ASSERT_TRUE(big.ok());
}

TEST(NetnsMarker, RecordsTheRole) {
  const NetnsId id{4, 77};
  EXPECT_EQ(format_netns_marker(id, Role::kClient), "4:77 client\n");
  EXPECT_EQ(format_netns_marker(id, Role::kServer), "4:77 server\n");
  for (Role role : {Role::kClient, Role::kServer}) {
    auto back = parse_netns_marker_record(format_netns_marker(id, role));
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(*back, (NetnsMarker{id, role}));
  }
  auto legacy = parse_netns_marker_record("4:77\n");  // an older helper's: no role
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->role, std::nullopt);
  for (const char* bad : {"4:77 Client\n", "4:77 server \n", "4:77  server\n", "4:77 gateway\n",
                          "4:77 client server\n", "4:77client\n", "client\n", "4:77 \n"}) {
    EXPECT_FALSE(parse_netns_marker_record(bad).ok()) << bad;
  }
}

TEST(NetnsMarker, RefusesAnythingElse) {
  for (const char* bad : {"",
                          "\n",
                          "4:4026532177",
                          "4:4026532177\n\n",
                          "4:4026532177 \n",
                          " 4:1\n",
                          "4 :1\n",
                          "4:\n",
                          ":1\n",
                          "4\n",
                          "4:1:2\n",
                          "04:1\n",
                          "4:01\n",
                          "+4:1\n",
                          "-4:1\n",
                          "4:-1\n",
                          "a:1\n",
                          "4:0x10\n",
                          "18446744073709551616:1\n",
                          "4;1\n",
                          "4:1\r\n"}) {
    auto r = parse_netns_marker(bad);
    EXPECT_FALSE(r.ok()) << "accepted '" << bad << "'";
    if (!r.ok()) {
      EXPECT_NE(r.error().message().find("expected one line DEV:INO"), std::string::npos);
    }
  }
}

TEST(NetnsMarker, PrintableName) {
  EXPECT_EQ(printable_name("work"), "work");
  EXPECT_EQ(printable_name("a\nb\x7f"), "a?b?");
  EXPECT_EQ(printable_name(std::string(100, 'x')), std::string(80, 'x') + "...");
}

}  // namespace
}  // namespace vpnns
