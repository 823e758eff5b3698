// SPDX-License-Identifier: GPL-2.0-or-later
// /proc/PID/stat parsing (state/process_info.h).
#include "state/process_info.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace vpnns {
namespace {

TEST(ProcStat, ParsesNameStateParentAndStartTime) {
  // A name with spaces and parentheses ends at the last ')'.
  const char* text =
      "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345 "
      "67 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  auto info = parse_proc_stat(text);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->comm, "a (b) c");
  EXPECT_EQ(info->state, 'S');
  EXPECT_EQ(info->ppid, 17);
  EXPECT_EQ(info->start_time, 987654u);
}

TEST(ProcStat, RefusesTruncatedText) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("1 (x"));
  EXPECT_FALSE(parse_proc_stat("1 (x) S 0 1 2"));
  EXPECT_FALSE(parse_proc_stat("1 (x) SS 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19"));
}

TEST(ProcStat, ThisProcess) {
  auto self = process_info(::getpid());
  ASSERT_TRUE(self);
  EXPECT_EQ(self->ppid, ::getppid());
  EXPECT_GT(self->start_time, 0u);
  EXPECT_TRUE(process_running(::getpid()));
  // Not a helper: wrong name, and then wrong start time.
  EXPECT_FALSE(helper_running(::getpid(), self->start_time));
  EXPECT_FALSE(process_info(0));
  EXPECT_FALSE(process_running(-1));
}

}  // namespace
}  // namespace vpnns
