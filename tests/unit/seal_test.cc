// SPDX-License-Identifier: GPL-2.0-or-later
// The seal's state machine (helper/seal.h) against the fake kernel: install at the first
// IPCHANGE or UP, the address swap in one transaction, repair after `nft flush ruleset`,
// refusals that change nothing, a failed transaction that leaves the seal believing what the
// kernel holds, DCO refusal, removal. What only the kernel can show (packets dropped, the
// privilege-drop watch) stays in tests/priv/seal_test.cc.
#include "helper/seal.h"

#include <gtest/gtest.h>

#include "tests/unit/fake_kernel.h"
#include "tests/unit/fake_nft.h"

namespace vpnns {
namespace {

using testing::FakeKernel;
using testing::FakeNft;

IpAddr a(const char* s) { return *IpAddr::parse(s); }

constexpr const char* kTable = "vpnns-work";

class SealModeTest : public ::testing::Test {
 protected:
  SealModeTest() : nft_(kernel_) { make(true); }

  void make(bool check_dco, std::optional<std::uint32_t> mark = std::nullopt) {
    kernel_.outer.links.clear();
    kernel_.outer.add_link(LinkInfo{0, "tun0", "tun", 1, 0, 1500});
    kernel_.outer.add_link(LinkInfo{0, "ovpn0", "ovpn-dco", std::nullopt, 0, 1500});
    kernel_.outer.add_link(LinkInfo{0, "ovpn1", "ovpn", std::nullopt, 0, 1500});
    SealSpec spec;
    spec.table = kTable;
    spec.comment = "vpnns seal for openvpn instance 'work'; helper pid 1";
    spec.mark = mark;
    if (!mark) spec.uids = {0};
    seal_.emplace(spec, nft_.ops(), kernel_.ops(kernel_.outer), check_dco);
  }

  template <typename Req>
  Result<std::string> run(const Req& req) {
    return run_mode(*seal_, req, warnings_);
  }

  std::vector<IpAddr> sealed() const {
    const SealState* st = nft_.seal(kTable);
    return st ? st->servers : std::vector<IpAddr>{};
  }

  // What the seal believes is what the kernel holds.
  void expect_consistent() {
    const StateSeal s = seal_->snapshot();
    if (s.active) {
      EXPECT_EQ(s.servers, sealed());
    } else {
      EXPECT_EQ(nft_.seal(kTable), nullptr);
    }
  }

  FakeKernel kernel_;
  FakeNft nft_;
  std::optional<Seal> seal_;
  Warnings warnings_;
};

UpRequest up(std::optional<IpAddr> remote, const char* dev = "tun0") {
  UpRequest u;
  u.dev = dev;
  u.mtu = 1500;
  u.v4 = Ipv4Config{a("192.0.2.2"), 24, std::nullopt};
  u.remote = remote;
  return u;
}

TEST_F(SealModeTest, IpchangeInstallsThenSwapsTheAddressInOneTransaction) {
  auto r = run(IpChangeRequest{a("198.51.100.1"), 1194});
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(sealed(), std::vector<IpAddr>{a("198.51.100.1")});
  EXPECT_EQ(nft_.commits(), 1);
  r = run(IpChangeRequest{a("198.51.100.2"), 1194});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "seal moved from 198.51.100.1 to 198.51.100.2");
  EXPECT_EQ(nft_.commits(), 2);
  EXPECT_EQ(nft_.last_commit().size(), 2U);  // old out, new in: one batch
  EXPECT_EQ(sealed(), std::vector<IpAddr>{a("198.51.100.2")});
  // The same address again: nothing to change.
  r = run(IpChangeRequest{a("198.51.100.2"), 1194});
  EXPECT_EQ(*r, "seal on 198.51.100.2 in place");
  EXPECT_EQ(nft_.commits(), 2);
  expect_consistent();
}

TEST_F(SealModeTest, UpSealsIpchangesServerElseTrustedIp) {
  ASSERT_TRUE(run(up(a("203.0.113.7"))).ok());
  EXPECT_EQ(sealed(), std::vector<IpAddr>{a("203.0.113.7")});
  ASSERT_TRUE(run(IpChangeRequest{a("198.51.100.1"), 1194}).ok());
  ASSERT_TRUE(run(up(a("203.0.113.7"))).ok());  // IPCHANGE is the authority
  EXPECT_EQ(sealed(), std::vector<IpAddr>{a("198.51.100.1")});
  expect_consistent();
}

TEST_F(SealModeTest, RefusalsChangeNothing) {
  EXPECT_FALSE(run(up(std::nullopt)).ok());                          // no server known
  EXPECT_FALSE(run(up(a("224.0.0.1"))).ok());                        // not unicast
  EXPECT_FALSE(run(IpChangeRequest{a("255.255.255.255"), 1}).ok());  // not unicast
  EXPECT_FALSE(run(up(a("198.51.100.1"), "ovpn0")).ok());            // DCO without a mark
  EXPECT_FALSE(run(up(a("198.51.100.1"), "tun9")).ok());             // cannot tell: fail closed
  EXPECT_EQ(kernel_.changes(), 0);
  EXPECT_FALSE(seal_->active());
  expect_consistent();
}

TEST_F(SealModeTest, WithNetnsTheTunnelJudgesTheDevice) {
  make(false);
  EXPECT_TRUE(run(up(a("198.51.100.1"), "tun9")).ok());
}

TEST_F(SealModeTest, RepairsATableFlushedOrDamagedUnderneath) {
  ASSERT_TRUE(run(IpChangeRequest{a("198.51.100.1"), 1194}).ok());
  nft_.flush();
  Warnings w;
  ASSERT_TRUE(seal_->ensure(w).ok());
  ASSERT_EQ(w.size(), 1U);
  EXPECT_NE(w[0].find("removed underneath"), std::string::npos) << w[0];
  EXPECT_EQ(sealed(), std::vector<IpAddr>{a("198.51.100.1")});
  nft_.damage(kTable);
  w.clear();
  ASSERT_TRUE(seal_->ensure(w).ok());
  ASSERT_EQ(w.size(), 1U);
  EXPECT_NE(w[0].find("changed underneath"), std::string::npos) << w[0];
  EXPECT_EQ(nft_.seal(kTable)->rules, kSealRules);
  // Intact: nothing to do, nothing said.
  w.clear();
  const int commits = nft_.commits();
  ASSERT_TRUE(seal_->ensure(w).ok());
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(nft_.commits(), commits);
}

TEST_F(SealModeTest, AFailedTransactionLeavesTheOldSealAndBeliefs) {
  ASSERT_TRUE(run(IpChangeRequest{a("198.51.100.1"), 1194}).ok());
  kernel_.fail_at(1);
  auto r = run(IpChangeRequest{a("198.51.100.2"), 1194});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("198.51.100.2 is NOT sealed"), std::string::npos);
  EXPECT_EQ(sealed(), std::vector<IpAddr>{a("198.51.100.1")});
  EXPECT_EQ(seal_->server(), a("198.51.100.1"));
  expect_consistent();
  // The next IPCHANGE goes through.
  ASSERT_TRUE(run(IpChangeRequest{a("198.51.100.2"), 1194}).ok());
  expect_consistent();
}

TEST_F(SealModeTest, RemoveDeletesTheTableAndKeepsTheAddress) {
  ASSERT_TRUE(run(IpChangeRequest{a("198.51.100.1"), 1194}).ok());
  ASSERT_TRUE(seal_->remove().ok());
  EXPECT_EQ(nft_.seal(kTable), nullptr);
  EXPECT_FALSE(seal_->active());
  EXPECT_EQ(seal_->server(), a("198.51.100.1"));
  ASSERT_TRUE(seal_->remove().ok());  // idempotent
  Warnings w;
  ASSERT_TRUE(seal_->ensure(w).ok());  // inactive: not reinstalled
  EXPECT_EQ(nft_.seal(kTable), nullptr);
  expect_consistent();
}

TEST_F(SealModeTest, WithAMarkNoOwnerSetAndInKernelDcoIsAccepted) {
  make(true, 7);
  EXPECT_FALSE(run(up(a("198.51.100.1"), "ovpn0")).ok());  // 2.6's ovpn-dco: never
  ASSERT_TRUE(run(up(a("198.51.100.1"), "ovpn1")).ok());
  EXPECT_FALSE(nft_.seal(kTable)->has_uid_set);
  expect_consistent();
}

}  // namespace
}  // namespace vpnns
