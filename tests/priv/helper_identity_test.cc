// SPDX-License-Identifier: GPL-2.0-or-later
// A process that poses as a dead helper (state/helper_identity.h): a program called
// vpnns-helper, started on the very pid of a helper that was SIGKILLed (clone3 with set_tid, as
// a local user could get by cycling pids), must block neither the next helper's start nor
// `vpnnsctl reset`. The helper runs in seal mode in the fixture's namespace (playing openvpn's),
// so the table it leaves names it: "helper pid N start T"; its state file is the real one in
// /run/vpnns (instance vp<pid>-*: unique, removed at the end).
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "state/helper_identity.h"
#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

class FakeHelperTest : public HelperTest {
 protected:
  void SetUp() override {
    HelperTest::SetUp();
    dir_ = "/tmp/vpnns-fake-" + std::to_string(::getpid());
    // A copy of dash called vpnns-helper: the kernel names the process after it.
    sh("mkdir -p " + dir_ + " && chmod 755 " + dir_ + " && cp /bin/dash " + dir_ +
       "/vpnns-helper && chmod 755 " + dir_ + "/vpnns-helper");
  }
  void TearDown() override {
    if (fake_ > 0) {
      (void)::kill(fake_, SIGKILL);
      (void)::waitpid(fake_, nullptr, 0);
    }
    sh("nft delete table inet vpnns-" + instance_, true);
    sh("rm -rf " + dir_ + " /run/vpnns/" + instance_ + ".json", true);
    HelperTest::TearDown();
  }

  // Starts a seal-mode helper, seals, SIGKILLs it (its table and state file stay) and reaps it;
  // returns its pid.
  pid_t dead_helper() {
    start({}, false);
    expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
    const pid_t pid = helper_->pid();
    EXPECT_EQ(::kill(pid, SIGKILL), 0);
    (void)helper_->close();  // reaps it
    helper_.reset();
    EXPECT_NE(sh("nft list table inet vpnns-" + instance_, true)
                  .find("helper pid " + std::to_string(pid)),
              std::string::npos);
    return pid;
  }

  // Runs the fake as `uid` on exactly `pid`: a shell loop, its command line ending in
  // "-- instance=INSTANCE" as a real helper's does.
  void spawn_fake(pid_t pid, uid_t uid) {
    clone_args args = {};
    args.exit_signal = SIGCHLD;
    pid_t tid = pid;
    args.set_tid = reinterpret_cast<std::uint64_t>(&tid);
    args.set_tid_size = 1;
    const long r = ::syscall(SYS_clone3, &args, sizeof args);
    ASSERT_GE(r, 0) << "clone3 with pid " << pid << ": " << std::strerror(errno);
    if (r == 0) {
      if (uid != 0 && (::setgroups(0, nullptr) < 0 || ::setresgid(uid, uid, uid) < 0 ||
                       ::setresuid(uid, uid, uid) < 0)) {
        ::_exit(126);
      }
      const std::string exe = dir_ + "/vpnns-helper";
      const std::string inst = "instance=" + instance_;
      const char* argv[] = {"vpnns-helper", "-c",         "while :; do sleep 1; done",
                            "--",           inst.c_str(), nullptr};
      ::execv(exe.c_str(), const_cast<char* const*>(argv));
      ::_exit(127);
    }
    fake_ = static_cast<pid_t>(r);
    ASSERT_EQ(fake_, pid);
    // Running as vpnns-helper (after the exec) before the test goes on.
    for (int i = 0;
         i < 200 && sh("cat /proc/" + std::to_string(pid) + "/comm", true) != "vpnns-helper\n";
         ++i) {
      ::usleep(10'000);
    }
    ASSERT_EQ(sh("cat /proc/" + std::to_string(pid) + "/comm"), "vpnns-helper\n");
  }

  std::string dir_;
  pid_t fake_ = -1;
};

TEST_F(FakeHelperTest, AFakeOnADeadHelpersPidDoesNotBlockTheNextStart) {
  const pid_t dead = dead_helper();
  spawn_fake(dead, 0);  // even root's: another process, started later
  EXPECT_TRUE(running_helper(HelperId{dead, std::nullopt}).has_value());  // root, the name
  start({}, false);  // the same instance: its table is taken over, not refused
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  EXPECT_NE(sh("nft list table inet vpnns-" + instance_)
                .find("helper pid " + std::to_string(helper_->pid()) + " start "),
            std::string::npos);
}

TEST_F(FakeHelperTest, AUsersFakeOnADeadHelpersPidDoesNotBlockReset) {
  const pid_t dead = dead_helper();
  spawn_fake(dead, 65534);
  EXPECT_FALSE(running_helper(HelperId{dead, std::nullopt}).has_value());
  const std::string out = sh(std::string(VPNNS_TEST_CTL) + " reset " + instance_ + " 2>&1");
  EXPECT_NE(out.find("removed: nft table inet vpnns-" + instance_), std::string::npos) << out;
  EXPECT_EQ(sh("nft list tables").find("vpnns-" + instance_ + "\n"), std::string::npos);
  EXPECT_FALSE(exists("/run/vpnns/" + instance_ + ".json"));
}

}  // namespace
}  // namespace vpnns::testing
