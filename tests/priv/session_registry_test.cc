// SPDX-License-Identifier: GPL-2.0-or-later
// execd/session_registry.h with real processes: a session records itself, a new registry adopts
// it while it runs (pid and start time), drops records of processes that are gone or whose pid
// now belongs to another process, and frees the place when the adopted session ends. Root: the
// registry accepts only a directory of root's.
#include "execd/session_registry.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace vpnns {
namespace {

class SessionRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "privileged test: run as root";
    char base[] = "/tmp/vpnns-registry-XXXXXX";
    ASSERT_NE(::mkdtemp(base), nullptr);
    base_ = base;
    dir_ = base_ + "/exec.sock.sessions";
  }
  void TearDown() override {
    for (pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    std::filesystem::remove_all(base_);
  }
  // A process that records itself as a session of `uid`, then waits to be killed.
  pid_t session(const SessionRegistry& registry, uid_t uid) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::_exit(registry.record_self(uid) ? (::pause(), 0) : 1);
    }
    children_.push_back(pid);
    const auto record = dir_ + "/" + std::to_string(pid);
    for (int i = 0; i < 200 && !std::filesystem::exists(record); ++i) ::usleep(10'000);
    EXPECT_TRUE(std::filesystem::exists(record));
    return pid;
  }
  void end(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    std::erase(children_, pid);
  }

  std::string base_, dir_;
  std::vector<pid_t> children_;
};

TEST_F(SessionRegistryTest, AdoptsLiveSessionsAndForgetsTheRest) {
  auto first = SessionRegistry::open(dir_);
  ASSERT_TRUE(first) << first.error().text();
  EXPECT_EQ(std::filesystem::status(dir_).permissions(), std::filesystem::perms::owner_all);
  const pid_t a = session(*first, 1000);
  const pid_t b = session(*first, 1000);
  const pid_t c = session(*first, 2000);
  first->started(a, 1000);
  first->started(b, 1000);
  first->started(c, 2000);
  EXPECT_EQ(first->count(1000), 2u);

  // Gone: c ended while no service watched. Reused: a record naming this test's own pid with
  // another start time. Garbage: not a record.
  end(c);
  std::ofstream(dir_ + "/" + std::to_string(::getpid())) << "1000 1\n";
  std::ofstream(dir_ + "/999999") << "garbage";

  auto second = SessionRegistry::open(dir_);  // the service restarted
  ASSERT_TRUE(second) << second.error().text();
  EXPECT_EQ(second->adopted(), 2u);
  EXPECT_EQ(second->count(1000), 2u);
  EXPECT_EQ(second->count(2000), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + std::to_string(c)));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + std::to_string(::getpid())));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/999999"));

  // An adopted session ends: the registry's fd says so, and its place is free.
  end(a);
  pollfd p{second->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  second->check_adopted();
  EXPECT_EQ(second->count(1000), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + std::to_string(a)));

  // Its own sessions: counted at the fork, record removed when reaped.
  const pid_t d = session(*second, 1000);
  second->started(d, 1000);
  EXPECT_EQ(second->count(1000), 2u);
  end(d);
  second->reaped(d);
  EXPECT_EQ(second->count(1000), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + std::to_string(d)));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/" + std::to_string(b)));
}

TEST_F(SessionRegistryTest, RefusesADirectoryOthersMayUse) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
  auto r = SessionRegistry::open(dir_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text().find("mode 0700"), std::string::npos) << r.error().text();
}

TEST(ProcessStartTime, IsStableAndZeroForNoProcess) {
  EXPECT_GT(process_start_time(0), 0u);
  EXPECT_EQ(process_start_time(0), process_start_time(::getpid()));
  EXPECT_EQ(process_start_time(999999999), 0u);
}

}  // namespace
}  // namespace vpnns
