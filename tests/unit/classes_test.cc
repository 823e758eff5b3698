// SPDX-License-Identifier: GPL-2.0-or-later
// The client classes file: parsing (every bad line reported with its number) and matching.
#include "helper/classes.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

TEST(Classes, ParsesRulesCommentsAndBlankLines) {
  auto rules = parse_classes(
      "# classes\n"
      "\n"
      "admin-*   inet/filter/admins   # the operators\n"
      "\t*.guest\tinet/filter/guests,ip6/filter6/guests6\r\n"
      "client2 inet/filter/admins\n",
      "/etc/c");
  ASSERT_TRUE(rules.ok()) << rules.error().message();
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0], (ClassRule{"admin-*", {{"inet", "filter", "admins"}}, 3}));
  EXPECT_EQ((*rules)[1].pattern, "*.guest");
  EXPECT_EQ((*rules)[1].sets.size(), 2u);
  EXPECT_EQ((*rules)[1].line, 4);
}

TEST(Classes, ReportsEveryBadLine) {
  auto rules = parse_classes(
      "admin-*\n"
      "x inet/filter\n"
      "y inet/f/s, inet/f/t\n"
      "ok inet/f/s\n"
      "z bridge/f/s\n",
      "/etc/c");
  ASSERT_FALSE(rules.ok());
  const std::string& m = rules.error().message();
  EXPECT_NE(m.find("/etc/c:1: expected 'PATTERN SET[,SET...]'"), std::string::npos) << m;
  EXPECT_NE(m.find("/etc/c:2: 'inet/filter' is not FAMILY/TABLE/SET"), std::string::npos) << m;
  EXPECT_NE(m.find("/etc/c:3: expected one list of sets"), std::string::npos) << m;
  EXPECT_NE(m.find("/etc/c:5: 'bridge/f/s': FAMILY must be"), std::string::npos) << m;
  EXPECT_EQ(m.find("/etc/c:4"), std::string::npos) << m;
}

TEST(Classes, AClientMatchingSeveralLinesIsInAllTheirSets) {
  auto rules = parse_classes(
      "admin-* inet/f/admins\n"
      "*-eu inet/f/europe,inet/f/admins\n"
      "* inet/f/everyone\n",
      "c");
  ASSERT_TRUE(rules.ok());
  auto sets = classes_of(*rules, "admin-eu");
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[0].set, "admins");
  EXPECT_EQ(sets[1].set, "europe");
  EXPECT_EQ(sets[2].set, "everyone");
  EXPECT_EQ(classes_of(*rules, "guest").size(), 1u);
  // The common name is only matched: glob characters in it are plain characters.
  EXPECT_EQ(classes_of(*rules, "*").size(), 1u);
  EXPECT_TRUE(classes_of(std::vector<ClassRule>{}, "admin").empty());
}

}  // namespace
}  // namespace vpnns
