// SPDX-License-Identifier: GPL-2.0-or-later
// The Landlock rulesets of vpnns's root processes, proved from inside a confined process: a
// child of the test applies the very function the process uses (helper: confine_filesystem();
// vpnns-execd's decoder: confine_session_decoder()) and then tries to write, create, remove and
// read inside and outside what the ruleset allows. The paths are a temporary tree that mirrors
// /etc and /run (the helper's rules are built from paths the test passes), so a ruleset that
// failed open could only ever touch the test's own files. Nothing here skips: a kernel without
// Landlock fails the test.
//
// The child is root with every capability (the helper's own capability drop is not applied), so
// each refusal below is Landlock's: uid 0 owns every file here, and the directories are 0777.
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/landlock.h"
#include "execd/session_confine.h"
#include "helper/confine.h"
#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

enum class Op { kWrite, kCreate, kMkdir, kRmdir, kUnlink, kRename, kRead, kMount };

struct Try {
  Op op;
  std::string path;
  bool allowed;
};

const char* op_name(Op op) {
  switch (op) {
    case Op::kWrite:
      return "write";
    case Op::kCreate:
      return "create";
    case Op::kMkdir:
      return "mkdir";
    case Op::kRmdir:
      return "rmdir";
    case Op::kUnlink:
      return "unlink";
    case Op::kRename:
      return "rename";
    case Op::kRead:
      return "read";
    case Op::kMount:
      return "mount";
  }
  return "?";
}

int attempt(const Try& t) {
  switch (t.op) {
    case Op::kWrite: {
      const int fd = ::open(t.path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
      if (fd < 0) return errno;
      const ssize_t n = ::write(fd, "x\n", 2);
      ::close(fd);
      return n == 2 ? 0 : EIO;
    }
    case Op::kCreate: {
      const int fd = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) return errno;
      ::close(fd);
      return 0;
    }
    case Op::kMkdir:
      return ::mkdir(t.path.c_str(), 0755) == 0 ? 0 : errno;
    case Op::kRmdir:
      return ::rmdir(t.path.c_str()) == 0 ? 0 : errno;
    case Op::kUnlink:
      return ::unlink(t.path.c_str()) == 0 ? 0 : errno;
    case Op::kRename: {
      // path is "FROM|TO"
      const auto bar = t.path.find('|');
      return ::rename(t.path.substr(0, bar).c_str(), t.path.substr(bar + 1).c_str()) == 0 ? 0
                                                                                          : errno;
    }
    case Op::kRead: {
      const int fd = ::open(t.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return errno;
      ::close(fd);
      return 0;
    }
    case Op::kMount:
      return ::mount("vpnns-probe", t.path.c_str(), "tmpfs", 0, nullptr) == 0 ? 0 : errno;
  }
  return EINVAL;
}

// Runs `confine` in a child (in a mount namespace of its own, so that a mount that should
// have been refused lands nowhere), then every attempt in order; returns what went otherwise
// than expected ("" if everything did).
std::string probe(const std::function<Status()>& confine, const std::vector<Try>& tries) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return "pipe2 failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    std::string out;
    if (::unshare(CLONE_NEWNS) < 0 ||
        ::mount(nullptr, "/", nullptr, MS_PRIVATE | MS_REC, nullptr)) {
      out = "cannot make a private mount namespace";
    } else if (Status s = confine(); !s) {
      out = "confining failed: " + s.error().text();
    } else {
      for (const Try& t : tries) {
        const int err = attempt(t);
        // Refused means EACCES (EPERM for mount): not just any failure.
        const int refused = t.op == Op::kMount ? EPERM : EACCES;
        if (t.allowed && err != 0) {
          out +=
              std::string(op_name(t.op)) + " " + t.path + " refused: " + std::strerror(err) + "\n";
        } else if (!t.allowed && err != refused) {
          out += std::string(op_name(t.op)) + " " + t.path +
                 " not refused by Landlock: " + (err == 0 ? "it worked" : std::strerror(err)) +
                 "\n";
        }
      }
    }
    (void)!::write(p[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(p[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    out += "the probe died: " + std::to_string(status);
  return out;
}

class LandlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "privileged tests run as root";
    abi_ = landlock_abi();
    ASSERT_GE(abi_, 1) << "this kernel has no Landlock: the rulesets cannot be proved";
    root_ = "/tmp/vpnns-landlock-" + std::to_string(::getpid());
    sh("rm -rf " + root_ + " && mkdir -p " + root_ + "/etc/netns " + root_ + "/etc/cron.d " +
       root_ + "/run/vpnns/netns " + root_ + "/run/netns " + root_ + "/mnt && chmod -R 777 " +
       root_ + " && echo 'hosts: files' > " + root_ + "/etc/nsswitch.conf && echo secret > " +
       root_ + "/etc/shadow && echo old > " + root_ + "/run/vpnns/other.json");
  }
  void TearDown() override { sh("rm -rf " + root_, true); }

  int abi_ = 0;
  std::string root_;
};

TEST_F(LandlockTest, TheHelperWritesOnlyItsDnsFilesAndStateAndReadsOnlyWhatItNeeds) {
  Config config;
  config.netns = "vp" + std::to_string(::getpid());
  config.dns = DnsMode::kYes;
  HelperFsPaths paths;
  paths.etc_netns = root_ + "/etc/netns";
  paths.state_dir = root_ + "/run/vpnns";
  paths.host_nsswitch = root_ + "/etc/nsswitch.conf";
  const std::string etc = root_ + "/etc", run = root_ + "/run",
                    ns = paths.etc_netns + "/" + config.netns;
  const std::vector<Try> tries = {
      // What the event loop does: the DNS directory made, its files written and replaced,
      // removed with the directory at DOWN; the state file by a temporary and rename; a marker.
      {Op::kMkdir, ns, true},
      {Op::kCreate, ns + "/resolv.conf", true},
      {Op::kWrite, ns + "/resolv.conf", true},
      {Op::kCreate, ns + "/nsswitch.conf", true},
      {Op::kRead, ns + "/resolv.conf", true},
      {Op::kUnlink, ns + "/resolv.conf", true},
      {Op::kUnlink, ns + "/nsswitch.conf", true},
      {Op::kRmdir, ns, true},
      {Op::kCreate, run + "/vpnns/.x.json.tmp", true},
      {Op::kRename, run + "/vpnns/.x.json.tmp|" + run + "/vpnns/x.json", true},
      {Op::kCreate, run + "/vpnns/netns/" + config.netns, true},
      {Op::kRead, paths.host_nsswitch, true},
      {Op::kRead, "/proc/self/status", true},
      {Op::kRead, "/proc/1/stat", true},
      // What a code-execution bug would try: /etc/ld.so.preload, /etc/cron.d, /etc's files.
      {Op::kCreate, etc + "/ld.so.preload", false},
      {Op::kCreate, etc + "/cron.d/vpnns", false},
      {Op::kMkdir, etc + "/sudoers.d", false},
      {Op::kWrite, paths.host_nsswitch, false},
      {Op::kUnlink, paths.host_nsswitch, false},
      {Op::kRead, etc + "/shadow", false},
      {Op::kRead, "/etc/shadow", false},
      {Op::kRead, "/etc/passwd", false},
      // Moving a state file out of /run/vpnns, namespaces, anything in /run beside.
      {Op::kRename, run + "/vpnns/x.json|" + etc + "/ld.so.preload", false},
      {Op::kCreate, run + "/netns/evil", false},
      {Op::kCreate, run + "/evil", false},
      {Op::kMount, root_ + "/mnt", false},
  };
  EXPECT_EQ(probe([&] { return confine_filesystem(config, paths).status(); }, tries), "")
      << "Landlock ABI " << abi_;
  // confine_filesystem() made the DNS parent it binds to (the event loop makes NAME itself).
  EXPECT_TRUE(exists(paths.etc_netns));
}

TEST_F(LandlockTest, TheHelperWithoutDnsFilesWritesNothingUnderEtc) {
  Config config;
  config.netns = "vp" + std::to_string(::getpid());
  config.dns = DnsMode::kNo;
  HelperFsPaths paths;
  paths.etc_netns = root_ + "/etc/netns";
  paths.state_dir = root_ + "/run/vpnns";
  paths.host_nsswitch = root_ + "/etc/nsswitch.conf";
  const std::vector<Try> tries = {
      {Op::kMkdir, paths.etc_netns + "/" + config.netns, false},
      {Op::kRead, paths.host_nsswitch, false},
      {Op::kCreate, root_ + "/run/vpnns/x.json", true},
  };
  EXPECT_EQ(probe([&] { return confine_filesystem(config, paths).status(); }, tries), "");
}

// The process's effective and permitted capability sets (64 bits each).
std::pair<std::uint64_t, std::uint64_t> own_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) < 0) return {~0ULL, ~0ULL};
  return {data[0].effective | (std::uint64_t{data[1].effective} << 32),
          data[0].permitted | (std::uint64_t{data[1].permitted} << 32)};
}

TEST_F(LandlockTest, TheExecdDecoderIsTheCallerWithoutCapabilitiesAndOpensNothing) {
  // A caller that may write every directory here (0777) and read every file (0644): each
  // refusal below is Landlock's.
  const Identity caller{65534, 65534, {}};
  const std::vector<Try> tries = {
      {Op::kCreate, root_ + "/run/vpnns/x.json", false},
      {Op::kCreate, root_ + "/etc/ld.so.preload", false},
      {Op::kMkdir, root_ + "/etc/cron.d/x", false},
      {Op::kWrite, root_ + "/run/vpnns/other.json", false},
      {Op::kUnlink, root_ + "/run/vpnns/other.json", false},
      {Op::kRead, root_ + "/etc/nsswitch.conf", false},
      {Op::kRead, "/etc/passwd", false},
      {Op::kRead, "/proc/self/status", false},
      {Op::kCreate, "/tmp/vpnns-landlock-decoder-" + std::to_string(::getpid()), false},
  };
  EXPECT_EQ(probe(
                [&]() -> Status {
                  auto abi = confine_session_decoder(caller);
                  if (!abi) return abi.status();
                  if (*abi != abi_) return Error(Code::kInternal, "not landlocked");
                  uid_t r = 0, e = 0, saved = 0;
                  if (::getresuid(&r, &e, &saved) < 0 || r != caller.uid || e != caller.uid ||
                      saved != caller.uid) {
                    return Error(Code::kInternal, "not the caller's uid");
                  }
                  if (own_capabilities() != std::pair<std::uint64_t, std::uint64_t>{0, 0}) {
                    return Error(Code::kInternal, "capabilities left");
                  }
                  if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
                    return Error(Code::kInternal, "no NO_NEW_PRIVS");
                  }
                  return ok_status();
                },
                tries),
            "");
}

TEST_F(LandlockTest, TheExecdSessionKeepsOnlyItsTableOfCapabilitiesAndNoDomain) {
  // The privileged process: the capabilities of its steps, and no Landlock domain — it must
  // still mount, and the user's command (its child) must not inherit a domain.
  std::uint64_t want = 0;
  for (const KeptCapability& k : monitor_capabilities()) want |= 1ULL << k.cap;
  want &= own_capabilities().second;  // kept if held (this machine's bounding set lacks some)
  ASSERT_NE(want & (1ULL << CAP_SYS_ADMIN), 0u);
  const std::vector<Try> tries = {
      {Op::kCreate, root_ + "/etc/ld.so.preload", true},
      {Op::kMkdir, root_ + "/etc/cron.d/x", true},
      {Op::kRead, root_ + "/etc/shadow", true},
      {Op::kMount, root_ + "/mnt", true},
  };
  EXPECT_EQ(probe(
                [&]() -> Status {
                  VPNNS_TRY(keep_monitor_capabilities());
                  const auto [effective, permitted] = own_capabilities();
                  if (effective != want || permitted != want) {
                    return Error(Code::kInternal, "capabilities " + std::to_string(effective) +
                                                      " instead of " + std::to_string(want));
                  }
                  return ok_status();
                },
                tries),
            "");
  sh("umount " + root_ + "/mnt", true);
}

}  // namespace
}  // namespace vpnns::testing
