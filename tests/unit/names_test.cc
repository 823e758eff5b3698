// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vpnns {
namespace {

TEST(Names, Ifname) {
  EXPECT_TRUE(is_valid_ifname("tun0"));
  EXPECT_TRUE(is_valid_ifname(std::string(15, 'a')));
  for (const std::string& bad : std::vector<std::string>{"", std::string(16, 'a'), ".", "..", "a/b",
                                                         "a b", "tun:0", "t\n"}) {
    EXPECT_FALSE(is_valid_ifname(bad)) << bad;
  }
}

TEST(Names, DnsName) {
  for (const char* good : {"example.test", "example.test.", "a", "x-y.z_1.example", "1.2.3.4"}) {
    EXPECT_TRUE(is_valid_dns_name(good)) << good;
  }
  const std::string label63(63, 'a');
  EXPECT_TRUE(is_valid_dns_name(label63 + ".test"));
  EXPECT_FALSE(is_valid_dns_name(std::string(64, 'a') + ".test"));
  std::string long_name;
  while (long_name.size() < 260) long_name += "abcdefghi.";
  EXPECT_FALSE(is_valid_dns_name(long_name));
  for (const char* bad : {"", ".", "..", "a..b", ".a", "a b", "a;b", "a\"b", "a'b", "$(x)", "a\tb",
                          "a\nb", "example.test..", "a/b", "-", "-a.test", "a-.test", "a.test-"}) {
    EXPECT_FALSE(is_valid_dns_name(bad)) << bad;
  }
}

}  // namespace
}  // namespace vpnns
