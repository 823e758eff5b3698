// SPDX-License-Identifier: GPL-2.0-or-later
// Namespace markers against real namespaces (root): the helper marks its namespace after UP's
// isolation check;
// write_netns_marker() writes exactly "DEV:INO ROLE\n" of /run/netns/NAME, atomically, with the
// modes the readers require; open_vpnns_netns() accepts exactly the marked namespace and says
// which check refused anything else. Namespaces are named vp<pid>-m*; markers of the checks
// live in a directory of the test's own (NetnsPaths), so the host's /run/vpnns is touched only
// by the helper test, which removes what it made.
#include "state/netns_marker.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

std::string id_of(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + "\n";
}

// "DEV:INO\n" -> "DEV:INO ROLE\n"
std::string with_role(std::string id, const std::string& role) {
  id.pop_back();
  return id + " " + role + "\n";
}

class MarkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "privileged tests run as root";
    id_ = "vp" + std::to_string(::getpid());
    ns_ = id_ + "-m";
    other_ = id_ + "-n";
    dir_ = "/tmp/vpnns-marker-" + std::to_string(::getpid());
    paths_.marker_dir = dir_ + "/vpnns/netns";
    sh("mkdir -p " + dir_ + " && chmod 755 " + dir_);
    sh("ip netns add " + ns_);
    sh("ip netns add " + other_);
  }
  void TearDown() override {
    sh("umount " + dir_ + "/ns/self", true);
    sh("rm -rf " + dir_, true);
    sh("ip netns del " + ns_, true);
    sh("ip netns del " + other_, true);
  }

  Status write(const std::string& name) {
    UniqueFd fd(::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd.valid());
    return write_netns_marker(name, fd.get(), Role::kClient, paths_);
  }
  void expect_refused(const std::string& name, const std::string& reason) {
    auto r = open_vpnns_netns(name, paths_);
    EXPECT_FALSE(r.ok()) << "'" << name << "' accepted";
    if (!r.ok()) {
      EXPECT_NE(r.error().text().find(reason), std::string::npos) << r.error().text();
    }
  }

  std::string id_, ns_, other_, dir_;
  NetnsPaths paths_;
};

TEST_F(MarkerTest, WritesWhatStatSays) {
  ASSERT_TRUE(write(ns_).ok());
  const std::string marker = paths_.marker_dir + "/" + ns_;
  EXPECT_EQ(read_file(marker), with_role(id_of("/run/netns/" + ns_), "client"));
  EXPECT_EQ(sh("stat -c '%u %a' " + marker), "0 644\n");
  EXPECT_EQ(sh("stat -c '%u %a' " + paths_.marker_dir + " " + dir_ + "/vpnns"), "0 755\n0 755\n");
  // Rewritten in place for a re-created namespace; no temporary file left.
  sh("ip netns del " + ns_ + " && ip netns add " + ns_);
  ASSERT_TRUE(write(ns_).ok());
  EXPECT_EQ(read_file(marker), with_role(id_of("/run/netns/" + ns_), "client"));
  EXPECT_EQ(sh("ls -A " + paths_.marker_dir), ns_ + "\n");
}

TEST_F(MarkerTest, RefusesToWriteIntoADirectoryOthersControl) {
  sh("mkdir -p " + paths_.marker_dir + " && chown 65534 " + paths_.marker_dir);
  Status s = write(ns_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("refusing to write namespace markers there: " +
                                     paths_.marker_dir + " is owned by uid 65534"),
            std::string::npos)
      << s.error().message();
  sh("chown 0 " + paths_.marker_dir + " && chmod 777 " + paths_.marker_dir);
  s = write(ns_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("is writable by group or others (mode 0777)"),
            std::string::npos)
      << s.error().message();
}

TEST_F(MarkerTest, AcceptsTheMarkedNamespace) {
  ASSERT_TRUE(write(ns_).ok());
  auto fd = open_vpnns_netns(ns_, paths_);
  ASSERT_TRUE(fd.ok()) << fd.error().text();
  struct stat a = {}, b = {};
  ASSERT_EQ(::fstat(fd->get(), &a), 0);
  ASSERT_EQ(::stat(("/run/netns/" + ns_).c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(list_vpnns_netns(paths_), std::vector<std::string>{ns_});
}

TEST_F(MarkerTest, SaysWhichCheckFailed) {
  for (const std::string& name :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b"), "../" + ns_,
        std::string(65, 'a'), std::string("x\ny"), std::string("/")}) {
    expect_refused(name, "is not a valid network namespace name");
  }
  expect_refused(id_ + "-none", "does not exist (no /run/netns/" + id_ + "-none)");
  expect_refused(ns_, "is not a vpnns namespace: no marker " + paths_.marker_dir);

  ASSERT_TRUE(write(ns_).ok());
  const std::string marker = paths_.marker_dir + "/" + ns_;
  const std::string good = read_file(marker);
  sh("chown 65534 " + marker);
  expect_refused(ns_, "the marker " + marker + " is owned by uid 65534, not root");
  sh("chown 0 " + marker + " && chmod 664 " + marker);
  expect_refused(ns_, "is writable by group or others (mode 0664)");
  sh("chmod 644 " + marker);
  std::ofstream(marker) << "not a marker\n";
  expect_refused(ns_, "has malformed content 'not a marker'");
  std::ofstream(marker) << id_of("/run/netns/" + other_);
  expect_refused(ns_, "is stale: it names namespace");
  sh("rm " + marker + " && ln -s /dev/null " + marker);
  expect_refused(ns_, "is a symlink");
  sh("rm " + marker + " && mkfifo -m 644 " + marker);
  expect_refused(ns_, "is not a regular file");
  sh("rm " + marker);
  std::ofstream(marker) << good;
  ASSERT_TRUE(open_vpnns_netns(ns_, paths_).ok());

  sh("chmod 775 " + paths_.marker_dir);
  expect_refused(ns_, "cannot be trusted: directory " + paths_.marker_dir +
                          " is writable by group or others (mode 0775)");
  sh("chmod 755 " + paths_.marker_dir + " && chown 65534 " + dir_ + "/vpnns");
  expect_refused(ns_, "directory " + dir_ + "/vpnns is owned by uid 65534, not root");
  sh("chown 0 " + dir_ + "/vpnns");
  EXPECT_TRUE(open_vpnns_netns(ns_, paths_).ok());

  // Not a namespace at all, and the namespace this process runs in.
  NetnsPaths fake = paths_;
  fake.netns_dir = dir_ + "/ns";
  sh("mkdir -p " + fake.netns_dir + " && touch " + fake.netns_dir + "/plain " + fake.netns_dir +
     "/self && mount --bind /proc/self/ns/net " + fake.netns_dir + "/self");
  auto plain = open_vpnns_netns("plain", fake);
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message().find("is not a network namespace"), std::string::npos)
      << plain.error().message();
  std::ofstream(paths_.marker_dir + "/self") << id_of(fake.netns_dir + "/self");
  auto self = open_vpnns_netns("self", fake);
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.error().message().find("is the one this process already runs in"),
            std::string::npos)
      << self.error().message();
}

TEST_F(MarkerTest, ListsOnlyNamespacesThatPass) {
  ASSERT_TRUE(write(ns_).ok());
  ASSERT_TRUE(write(other_).ok());
  EXPECT_EQ(list_vpnns_netns(paths_), (std::vector<std::string>{ns_, other_}));
  sh("chmod 666 " + paths_.marker_dir + "/" + other_);
  std::ofstream(paths_.marker_dir + "/" + id_ + "-gone") << "4:1\n";
  EXPECT_EQ(list_vpnns_netns(paths_), std::vector<std::string>{ns_});
}

// The helper writes the real marker once UP's isolation check passed, with the role; it removes
// a marker left from before at start-up, and never leaves one on a namespace UP refused.
class HelperMarkerTest : public HelperTest {};

TEST_F(HelperMarkerTest, HelperMarksItsNamespaceAfterTheIsolationCheck) {
  // A marker from an earlier run, still matching the namespace: gone at start-up.
  sh("ip netns add " + target_);
  const std::string marker = "/run/vpnns/netns/" + target_;
  ASSERT_TRUE(write_netns_marker(
                  target_,
                  UniqueFd(::open(("/run/netns/" + target_).c_str(), O_RDONLY | O_CLOEXEC)).get(),
                  Role::kClient)
                  .ok());
  start();
  EXPECT_FALSE(exists(marker)) << "a marker before UP checked the namespace";
  expect_ok(subnet_up());
  EXPECT_EQ(read_file(marker), with_role(id_of("/run/netns/" + target_), "client"));
  EXPECT_EQ(sh("stat -c '%u %a' " + marker), "0 644\n");
  auto ns = open_marked_netns(target_);
  ASSERT_TRUE(ns.ok()) << ns.error().text();
  EXPECT_EQ(ns->role, Role::kClient);
}

TEST_F(HelperMarkerTest, ANamespaceThatFailedIsolationIsNeverMarked) {
  sh("ip netns add " + target_);
  sh("ip -n " + target_ + " link add vethm0 type veth peer name vethm1");
  ASSERT_TRUE(write_netns_marker(
                  target_,
                  UniqueFd(::open(("/run/netns/" + target_).c_str(), O_RDONLY | O_CLOEXEC)).get(),
                  Role::kClient)
                  .ok());
  start();
  expect_refused(subnet_up(), "holds device 'vethm");
  EXPECT_FALSE(exists("/run/vpnns/netns/" + target_));
  auto ns = open_vpnns_netns(target_);
  ASSERT_FALSE(ns.ok());
  EXPECT_NE(ns.error().message().find("is not a vpnns namespace: no marker"), std::string::npos)
      << ns.error().message();
}

TEST_F(HelperMarkerTest, AServersMarkerSaysServer) {
  start({"role=server"});
  expect_ok(subnet_up());
  EXPECT_EQ(read_file("/run/vpnns/netns/" + target_),
            with_role(id_of("/run/netns/" + target_), "server"));
}

}  // namespace
}  // namespace vpnns::testing
