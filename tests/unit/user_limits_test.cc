// SPDX-License-Identifier: GPL-2.0-or-later
// execd/user_limits.h: limits.conf read as pam_limits 1.5 reads it (domains, precedence, units,
// the no-limits line, what is skipped), without files or privileges.
#include "execd/user_limits.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace vpnns {
namespace {

LimitsUser alice() {
  LimitsUser u;
  u.name = "alice";
  u.uid = 1000;
  u.primary_gid = 1000;
  u.gids = {27, 1000, 1005};
  u.group_names = {"sudo", "alice", "vpnns"};
  return u;
}

LimitsPlan eval(const std::string& conf, const std::string& d = "", LimitsUser u = alice()) {
  std::vector<LimitsFile> files{{"limits.conf", conf}};
  if (!d.empty()) files.push_back({"limits.d/a.conf", d});
  return evaluate_limits(files, u, 1048576);
}

std::optional<rlim_t> soft(const LimitsPlan& p, int r) {
  return p.limits[static_cast<std::size_t>(r)].soft;
}
std::optional<rlim_t> hard(const LimitsPlan& p, int r) {
  return p.limits[static_cast<std::size_t>(r)].hard;
}

TEST(UserLimits, UserGroupAndDefaultDomains) {
  auto p = eval(
      "# comment\n"
      "alice soft nofile 100\n"
      "@vpnns hard nofile 200   # trailing comment\n"
      "* - nproc 300\n"
      "bob - nproc 1\n"
      "@other - core 5\n");
  EXPECT_EQ(soft(p, RLIMIT_NOFILE), 100u);
  EXPECT_EQ(hard(p, RLIMIT_NOFILE), 200u);
  EXPECT_EQ(soft(p, RLIMIT_NPROC), 300u);
  EXPECT_EQ(hard(p, RLIMIT_NPROC), 300u);
  EXPECT_FALSE(soft(p, RLIMIT_CORE));
  EXPECT_EQ(p.limits[RLIMIT_NOFILE].soft_origin, "limits.conf:2");
  EXPECT_EQ(p.limits[RLIMIT_NOFILE].hard_origin, "limits.conf:3");
  EXPECT_TRUE(p.warnings.empty());
}

TEST(UserLimits, MoreSpecificWinsWhateverTheOrder) {
  auto p = eval("alice - nofile 100\n@vpnns - nofile 200\n* - nofile 300\n");
  EXPECT_EQ(soft(p, RLIMIT_NOFILE), 100u);
  EXPECT_EQ(hard(p, RLIMIT_NOFILE), 100u);
  p = eval("* - nofile 300\n@vpnns - nofile 200\n", "alice hard nofile 150\n");
  EXPECT_EQ(soft(p, RLIMIT_NOFILE), 200u);
  EXPECT_EQ(hard(p, RLIMIT_NOFILE), 150u);
  // Among equals the later line wins, limits.d after limits.conf.
  p = eval("alice - nofile 100\n", "alice - nofile 120\n");
  EXPECT_EQ(soft(p, RLIMIT_NOFILE), 120u);
}

TEST(UserLimits, DashBeatenOnSoftSetsNoHardEither) {
  // pam_limits's quirk: the "-" line returns when its soft part is beaten.
  auto p = eval("alice soft nofile 100\n* - nofile 300\n");
  EXPECT_EQ(soft(p, RLIMIT_NOFILE), 100u);
  EXPECT_FALSE(hard(p, RLIMIT_NOFILE));
}

TEST(UserLimits, UnitsAndUnlimited) {
  auto p = eval(
      "alice - cpu 2\n"
      "alice - stack 8192\n"
      "alice soft core unlimited\n"
      "alice hard core INFINITY\n"
      "alice - memlock -1\n"
      "alice - nofile unlimited\n"
      "alice - msgqueue 4096\n"
      "alice - as 18446744073709551615\n");
  EXPECT_EQ(soft(p, RLIMIT_CPU), 120u);
  EXPECT_EQ(soft(p, RLIMIT_STACK), 8192u * 1024);
  EXPECT_EQ(soft(p, RLIMIT_CORE), RLIM_INFINITY);
  EXPECT_EQ(hard(p, RLIMIT_CORE), RLIM_INFINITY);
  EXPECT_EQ(soft(p, RLIMIT_MEMLOCK), RLIM_INFINITY);
  EXPECT_EQ(hard(p, RLIMIT_NOFILE), 1048576u);   // nr_open
  EXPECT_EQ(soft(p, RLIMIT_MSGQUEUE), 4096u);    // bytes
  EXPECT_EQ(soft(p, RLIMIT_AS), RLIM_INFINITY);  // overflow of the KiB
}

TEST(UserLimits, PriorityAndNice) {
  auto p = eval("alice - priority 5\nalice hard nice -5\nalice soft nice -30\n");
  EXPECT_EQ(p.priority, 5);
  EXPECT_EQ(hard(p, RLIMIT_NICE), 25u);  // 20 - (-5)
  EXPECT_EQ(soft(p, RLIMIT_NICE), 40u);  // clamped to -20
  EXPECT_FALSE(eval("@vpnns - nofile 5\n").priority);
}

TEST(UserLimits, UidAndGidRanges) {
  EXPECT_EQ(soft(eval("1000: - nproc 7\n"), RLIMIT_NPROC), 7u);
  EXPECT_EQ(soft(eval("500:1000 - nproc 7\n"), RLIMIT_NPROC), 7u);
  EXPECT_FALSE(soft(eval("1001: - nproc 7\n"), RLIMIT_NPROC));
  EXPECT_EQ(soft(eval(":1000 - nproc 7\n"), RLIMIT_NPROC), 7u);
  EXPECT_FALSE(soft(eval(":999 - nproc 7\n"), RLIMIT_NPROC));
  // @MIN:MAX is the primary gid; @:GID membership.
  EXPECT_EQ(soft(eval("@1000:1000 - nproc 7\n"), RLIMIT_NPROC), 7u);
  EXPECT_FALSE(soft(eval("@1005:1010 - nproc 7\n"), RLIMIT_NPROC));
  EXPECT_EQ(soft(eval("@:1005 - nproc 7\n"), RLIMIT_NPROC), 7u);
  // A uid range is a user entry: it beats a group entry.
  auto p = eval("1000: - nproc 7\n@vpnns - nproc 9\n");
  EXPECT_EQ(soft(p, RLIMIT_NPROC), 7u);
  p = eval("x:1 - nproc 7\n");
  EXPECT_FALSE(soft(p, RLIMIT_NPROC));
  EXPECT_EQ(p.warnings.size(), 1u);
}

TEST(UserLimits, NoLimitsLineDropsEverything) {
  auto p = eval("alice - nofile 100\n", "@vpnns -\n");
  EXPECT_EQ(p.no_limits, "limits.d/a.conf:1");
  EXPECT_FALSE(soft(p, RLIMIT_NOFILE));
  EXPECT_FALSE(p.priority);
  // Not for others, and "* -" is no target.
  p = eval("bob -\n@other -\n* -\nalice - nofile 100\n");
  EXPECT_TRUE(p.no_limits.empty());
  EXPECT_EQ(soft(p, RLIMIT_NOFILE), 100u);
}

TEST(UserLimits, PercentDomainsAndLoginsAreIgnored) {
  auto p = eval("% - nofile 1\n%vpnns - nofile 2\nalice - maxlogins 1\nalice - nonewprivs 1\n");
  EXPECT_FALSE(soft(p, RLIMIT_NOFILE));
  EXPECT_TRUE(p.warnings.empty());
}

TEST(UserLimits, MalformedLinesAreSkippedWithAWarning) {
  auto p = eval(
      "alice soft nofile\n"
      "alice sometimes nofile 5\n"
      "alice - bogus 5\n"
      "alice - nofile lots\n"
      "alice - NOFILE 64k\n");
  EXPECT_EQ(p.warnings.size(), 4u) << ::testing::PrintToString(p.warnings);
  EXPECT_EQ(soft(p, RLIMIT_NOFILE), 64u);  // leading digits, as strtoul reads them
  EXPECT_NE(p.warnings[0].find("limits.conf:1"), std::string::npos);
}

TEST(UserLimits, UnknownUserMatchesRangesAndDefaultOnly) {
  LimitsUser u;
  u.uid = 4242;
  u.primary_gid = 4242;
  u.gids = {4242};
  auto p = eval("* soft nofile 10\n4000: hard nofile 20\n", "", u);
  EXPECT_EQ(soft(p, RLIMIT_NOFILE), 10u);
  EXPECT_EQ(hard(p, RLIMIT_NOFILE), 20u);
}

TEST(UserLimits, ReadRefusesFilesOthersMayWrite) {
  char dir[] = "/tmp/vpnns-limits-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string conf = std::string(dir) + "/limits.conf";
  std::ofstream(conf) << "alice - nofile 5\n";
  // Absent files are empty ones.
  auto none = read_limits_files(std::string(dir) + "/absent.conf", std::string(dir) + "/absent.d");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  ::chmod(conf.c_str(), 0644);
  auto good = read_limits_files(conf, std::string(dir) + "/absent.d");
  // A file of root's (the unit tests run as root in CI) is read; anyone else's is refused.
  EXPECT_EQ(static_cast<bool>(good), ::geteuid() == 0);
  if (good) {
    EXPECT_EQ(good->size(), 1u);
  }
  ::chmod(conf.c_str(), 0666);
  EXPECT_FALSE(read_limits_files(conf, std::string(dir) + "/absent.d"));
  std::remove(conf.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace vpnns
