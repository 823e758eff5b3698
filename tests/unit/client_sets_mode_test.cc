// SPDX-License-Identifier: GPL-2.0-or-later
// ClientSets' state machine (helper/client_sets.h) against the fake nftables: the checks at
// start-up, connect, learn (add, move, delete), disconnect; refusals that change nothing; a
// failed batch that leaves the sets and the records in agreement. The builders are tested in
// client_sets_test.cc; what only the kernel can show, in tests/priv/client_sets_test.cc.
#include <gtest/gtest.h>

#include "helper/client_sets.h"
#include "tests/unit/fake_kernel.h"
#include "tests/unit/fake_nft.h"

namespace vpnns {
namespace {

using testing::FakeKernel;
using testing::FakeNft;

Prefix p(const char* s) { return *Prefix::parse(s); }

const SetRef kHosts{"inet", "fw", "hosts"};    // plain, IPv4
const SetRef kNets{"inet", "fw", "nets"};      // interval, IPv4 (class "branch-*")
const SetRef kHosts6{"inet", "fw", "hosts6"};  // plain, IPv6

class ClientSetsModeTest : public ::testing::Test {
 protected:
  ClientSetsModeTest() : nft_(kernel_) {
    nft_.declare(kHosts, Family::kV4, false);
    nft_.declare(kNets, Family::kV4, true);
    nft_.declare(kHosts6, Family::kV6, false);
    config_.client_sets = {kHosts, kHosts6};
    config_.client_max_entries = 3;
    config_.instance = "a";
    config_.client_pool = {p("10.8.0.0/24"), p("2001:db8:8::/64")};
    config_.client_iroutes = {p("198.51.100.0/24")};
  }

  void open() {
    std::vector<ClassRule> rules = {ClassRule{"branch-*", {kNets}}};
    auto s = ClientSets::open(config_, nft_.ops(), rules);
    ASSERT_TRUE(s.ok()) << s.error().text();
    sets_.emplace(std::move(*s));
  }

  template <typename Req>
  Result<std::string> run(const Req& req) {
    return run_mode(*sets_, req, warnings_);
  }
  Result<std::string> learn(LearnOp op, const char* prefix, std::optional<std::uint64_t> client,
                            const char* cn = "") {
    return run(LearnAddressRequest{op, p(prefix), client, cn});
  }

  const std::set<Prefix>& members(const SetRef& ref) const { return nft_.set(ref)->members; }

  // The records (the state file's counts) agree with what the sets hold.
  void expect_consistent() {
    for (const StateSet& s : sets_->snapshot().sets) {
      EXPECT_EQ(s.members, members(s.set).size()) << s.set.str();
    }
  }

  FakeKernel kernel_;
  FakeNft nft_;
  Config config_;
  std::optional<ClientSets> sets_;
  Warnings warnings_;
};

TEST_F(ClientSetsModeTest, StartChecksEverySetAndRemovesOnlyItsOwnMembers) {
  config_.client_sets.push_back(SetRef{"inet", "fw", "missing"});
  std::vector<ClassRule> none;
  auto s = ClientSets::open(config_, nft_.ops(), none);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().text().find("set inet/fw/missing does not exist"), std::string::npos);
  config_.client_sets.pop_back();
  nft_.put_member(kHosts, p("10.8.0.9/32"), "vpnns:a");  // a SIGKILLed helper's
  nft_.put_member(kHosts, p("10.8.1.9/32"), "vpnns:b");  // another instance's
  nft_.put_member(kHosts, p("192.0.2.9/32"));            // by hand
  nft_.put_member(kHosts, p("192.0.2.10/32"), "admin");  // by hand, with a comment
  open();
  EXPECT_EQ(members(kHosts),
            (std::set<Prefix>{p("10.8.1.9/32"), p("192.0.2.9/32"), p("192.0.2.10/32")}));
}

TEST_F(ClientSetsModeTest, MembershipFollowsConnectLearnAndDisconnect) {
  open();
  ASSERT_TRUE(run(ClientConnectRequest{1, "alice"}).ok());
  ASSERT_TRUE(run(ClientConnectRequest{2, "branch-lyon"}).ok());
  ASSERT_TRUE(learn(LearnOp::kAdd, "10.8.0.2/32", 1, "alice").ok());
  ASSERT_TRUE(learn(LearnOp::kAdd, "2001:db8:8::2/128", 1, "alice").ok());
  ASSERT_TRUE(learn(LearnOp::kAdd, "10.8.0.3/32", 2, "branch-lyon").ok());
  auto subnet = learn(LearnOp::kAdd, "198.51.100.0/24", 2, "branch-lyon");
  ASSERT_TRUE(subnet.ok()) << subnet.error().text();
  EXPECT_EQ(members(kHosts), (std::set<Prefix>{p("10.8.0.2/32"), p("10.8.0.3/32")}));
  EXPECT_EQ(members(kHosts6), (std::set<Prefix>{p("2001:db8:8::2/128")}));
  EXPECT_EQ(members(kNets), (std::set<Prefix>{p("10.8.0.3/32"), p("198.51.100.0/24")}));
  expect_consistent();

  // update: the address moves from alice to branch-lyon in one batch.
  const int commits = nft_.commits();
  auto r = learn(LearnOp::kUpdate, "10.8.0.2/32", 2);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_NE(r->find("moved from 'alice'"), std::string::npos);
  EXPECT_EQ(nft_.commits(), commits + 1);
  EXPECT_TRUE(members(kNets).contains(p("10.8.0.2/32")));
  EXPECT_EQ(*learn(LearnOp::kUpdate, "10.8.0.2/32", 2), "10.8.0.2/32 already in place");
  EXPECT_EQ(nft_.commits(), commits + 1);

  ASSERT_TRUE(learn(LearnOp::kDelete, "10.8.0.3/32", std::nullopt).ok());
  EXPECT_FALSE(members(kHosts).contains(p("10.8.0.3/32")));
  EXPECT_EQ(*learn(LearnOp::kDelete, "10.8.0.3/32", std::nullopt), "10.8.0.3/32 was not known");

  r = run(ClientDisconnectRequest{2, "branch-lyon"});
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(*r, "client 'branch-lyon' left: 2 entries removed");
  EXPECT_TRUE(members(kNets).empty());
  EXPECT_EQ(members(kHosts6).size(), 1U);  // alice's
  EXPECT_EQ(sets_->clients(), 1U);
  expect_consistent();
  ASSERT_TRUE(sets_->remove_own().ok());
  EXPECT_TRUE(members(kHosts6).empty());
  EXPECT_EQ(sets_->clients(), 0U);
}

TEST_F(ClientSetsModeTest, RefusalsChangeNothing) {
  open();
  ASSERT_TRUE(run(ClientConnectRequest{1, "alice"}).ok());
  ASSERT_TRUE(learn(LearnOp::kAdd, "10.8.0.2/32", 1).ok());
  const int changes = kernel_.changes();
  EXPECT_FALSE(run(ClientConnectRequest{1, "alice"}).ok());              // twice
  EXPECT_FALSE(learn(LearnOp::kAdd, "10.0.0.0/7", 1).ok());              // too short
  EXPECT_FALSE(learn(LearnOp::kAdd, "10.8.0.1/24", 1).ok());             // host bits
  EXPECT_FALSE(learn(LearnOp::kAdd, "224.0.0.1/32", 1).ok());            // multicast
  EXPECT_FALSE(learn(LearnOp::kAdd, "10.8.0.5/32", 9).ok());             // not connected
  EXPECT_FALSE(learn(LearnOp::kAdd, "10.8.0.5/32", 1, "mallory").ok());  // other name
  EXPECT_FALSE(learn(LearnOp::kAdd, "198.51.100.0/24", 1).ok());         // no interval set
  EXPECT_FALSE(learn(LearnOp::kAdd, "10.8.0.5/32", std::nullopt).ok());  // no client
  EXPECT_FALSE(run(ClientDisconnectRequest{1, "mallory"}).ok());         // other name
  ASSERT_TRUE(learn(LearnOp::kAdd, "10.8.0.3/32", 1).ok());
  ASSERT_TRUE(learn(LearnOp::kAdd, "10.8.0.4/32", 1).ok());
  const int before_max = kernel_.changes();
  auto r = learn(LearnOp::kAdd, "10.8.0.5/32", 1);  // client-max-entries=3
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("client-max-entries=3"), std::string::npos);
  EXPECT_EQ(kernel_.changes(), before_max);
  EXPECT_EQ(before_max - changes, 2);  // only the two good learns
  expect_consistent();
}

TEST_F(ClientSetsModeTest, AFailedBatchLeavesSetsAndRecordsAsTheyWere) {
  open();
  ASSERT_TRUE(run(ClientConnectRequest{1, "alice"}).ok());
  ASSERT_TRUE(run(ClientConnectRequest{2, "bob"}).ok());
  ASSERT_TRUE(learn(LearnOp::kAdd, "10.8.0.2/32", 1).ok());
  kernel_.fail_at(1);
  EXPECT_FALSE(learn(LearnOp::kUpdate, "10.8.0.2/32", 2).ok());
  kernel_.fail_at(1);
  EXPECT_FALSE(run(ClientDisconnectRequest{1, "alice"}).ok());
  EXPECT_EQ(sets_->clients(), 2U);
  EXPECT_EQ(sets_->entries(), 1U);
  expect_consistent();
  // Still alice's: her disconnect removes it.
  ASSERT_TRUE(run(ClientDisconnectRequest{1, "alice"}).ok());
  EXPECT_TRUE(members(kHosts).empty());
  expect_consistent();
}

}  // namespace
}  // namespace vpnns
