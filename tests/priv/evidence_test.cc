// SPDX-License-Identifier: GPL-2.0-or-later
// The evidence the helper asks for before it acts on what a compromised openvpn could claim:
//
//   * UP moves and configures only a tun device openvpn itself holds (helper/tun_holder.h) —
//     after a DOWN, a persistent tun of the pinned name (`ip tuntap add`) or one another process
//     holds is refused, at every UP, and nothing moves;
//   * the seal is aimed only at an address of the hosts openvpn's configuration connects to
//     (helper/peer_evidence.h) — IPCHANGE elsewhere, or UP's trusted_ip fallback elsewhere, is
//     refused and the nftables ruleset stays as it was.
//
// Here the test process plays openvpn: it holds the tun (fixture.h), and HelperTest::call passes
// its descriptors of the device with UP exactly as the plugin does.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

constexpr const char* kNotHeld = "openvpn does not hold tun device tunp0";
constexpr const char* kNotConnected = "is not one that openvpn's configuration connects to";

class EvidenceTest : public HelperTest {
 protected:
  // UP, then DOWN: openvpn closed its tun (persist-tun off, or a reopen), the device is gone.
  void up_then_down() {
    start();
    expect_ok(subnet_up());
    expect_ok(DownRequest{tun_name_, Context::kInit});
    tun_.reset();
    ASSERT_EQ(sh("ip -n " + target_ + " -o link show | grep -c tunp0", true), "0\n");
  }
  std::string ruleset() const { return sh("nft list ruleset"); }
};

TEST_F(EvidenceTest, ReUpOfAForeignPersistentTunIsRefusedAndNothingMoves) {
  up_then_down();
  sh("ip tuntap add dev " + tun_name_ + " mode tun");  // in openvpn's namespace, held by nobody
  const std::string before = snapshot();
  Reply r = expect_refused(subnet_up(), kNotHeld);
  EXPECT_NE(r.message.find("it passed no tun descriptor"), std::string::npos) << r.message;
  EXPECT_EQ(snapshot(), before);
  // Also with descriptors that are not this device's: a tun of another name.
  UniqueFd other = open_tun("tunp9");
  const std::string with_other = snapshot();
  const int wrong[] = {other.get()};
  auto sent = helper_->call(subnet_up(), kCallTimeoutMs, wrong);
  ASSERT_TRUE(sent.ok()) << sent.error().text();
  EXPECT_NE(sent->message.find("a tun descriptor attached to 'tunp9'"), std::string::npos)
      << sent->message;
  EXPECT_EQ(snapshot(), with_other);
  EXPECT_EQ(sh("ip -o link show " + tun_name_ + " | grep -c tunp0"), "1\n");
  // Once openvpn holds a device of that name again (its own fresh tun), UP goes through.
  sh("ip link del " + tun_name_);
  tun_ = open_tun(tun_name_);
  expect_ok(subnet_up());
}

TEST_F(EvidenceTest, UpOfATunAnotherProcessHoldsIsRefused) {
  up_then_down();
  // Another openvpn's fresh tun of the same name: held, but not by the helper's openvpn.
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  const pid_t other = ::fork();
  ASSERT_GE(other, 0);
  if (other == 0) {
    UniqueFd held = open_tun(tun_name_);
    (void)!::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  const std::string before = snapshot();
  expect_refused(subnet_up(), kNotHeld);
  EXPECT_EQ(snapshot(), before);
  ::kill(other, SIGKILL);
  ::waitpid(other, nullptr, 0);
}

TEST_F(EvidenceTest, EveryUpAsksForTheDevice) {
  start();
  expect_ok(subnet_up());
  // A repeated UP (init) of the device inside, and --up-restart's UP: openvpn still holds it.
  expect_ok(subnet_up());
  UpRequest restart = subnet_up();
  restart.context = Context::kRestart;
  expect_ok(restart);
  // Without its descriptor (a raw request, as a compromised openvpn could send) both are refused.
  const std::string before = snapshot();
  for (UpRequest up : {subnet_up(), restart}) {
    auto sent = helper_->call(up);  // no descriptors
    ASSERT_TRUE(sent.ok()) << sent.error().text();
    EXPECT_FALSE(sent->ok());
    EXPECT_NE(sent->message.find("openvpn does not hold tun device tunp0 in network namespace"),
              std::string::npos)
        << sent->message;
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(EvidenceTest, IpchangeToAnAddressOpenvpnDoesNotTalkToIsRefused) {
  remotes_ = {"198.51.100.1", "2001:db8:1::1", "nonexistent.invalid"};
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  const std::string before = ruleset();
  for (const char* victim : {"203.0.113.53", "2001:db8:99::53", "198.51.100.2"}) {
    Reply r = expect_refused(IpChangeRequest{ip(victim), 1194}, kNotConnected);
    // The refusal says what the helper knows, the unresolved name included.
    EXPECT_NE(r.message.find("nonexistent.invalid = not resolved"), std::string::npos) << r.message;
    EXPECT_EQ(ruleset(), before) << victim;
  }
  // Both families of the configured remotes are accepted.
  expect_ok(IpChangeRequest{ip("2001:db8:1::1"), 1194});
}

TEST_F(EvidenceTest, UpsTrustedIpFallbackNeedsTheSameEvidence) {
  start({}, false);
  const std::string before = ruleset();
  UpRequest up = subnet_up();
  up.remote = ip("203.0.113.53");
  expect_refused(up, kNotConnected);
  EXPECT_EQ(ruleset(), before);
  up.remote = ip("198.51.100.1");
  expect_ok(up);
}

}  // namespace
}  // namespace vpnns::testing
