// SPDX-License-Identifier: GPL-2.0-or-later
// ClientSets with several instances and a hostile openvpn (helper/client_sets.h,
// client_sets_bounds.cc), against the fake nftables: members carry their instance; a clash with
// another owner's member is refused, or borrowed with client-set-shared=yes; addresses only in
// the pools (client-pool=, the first UP) or client-iroutes=; subnets only in client-iroutes=;
// at most client-max clients. Every refusal changes nothing.
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
const SetRef kNets{"inet", "fw", "nets"};      // interval, IPv4
const SetRef kHosts6{"inet", "fw", "hosts6"};  // plain, IPv6

class ClientSetsBoundsTest : public ::testing::Test {
 protected:
  ClientSetsBoundsTest() : nft_(kernel_) {
    nft_.declare(kHosts, Family::kV4, false);
    nft_.declare(kNets, Family::kV4, true);
    nft_.declare(kHosts6, Family::kV6, false);
    config_.client_sets = {kHosts, kNets, kHosts6};
    config_.instance = "udp";
    config_.client_iroutes = {p("198.51.100.0/24")};
    config_.client_max = 2;
  }
  void open() {
    auto s = ClientSets::open(config_, nft_.ops(), {});
    ASSERT_TRUE(s.ok()) << s.error().text();
    sets_.emplace(std::move(*s));
  }
  void up(const char* v4, std::uint8_t len4, const char* v6, std::uint8_t len6) {
    UpRequest req;
    req.dev = "tun0";
    req.v4 = Ipv4Config{*IpAddr::parse(v4), len4, std::nullopt};
    req.v6 = Ipv6Config{*IpAddr::parse(v6), len6};
    sets_->learn_pool(req);
  }
  template <typename Req>
  Result<std::string> run(const Req& req) {
    return run_mode(*sets_, req, warnings_);
  }
  Result<std::string> learn(const char* prefix, std::uint64_t client) {
    return run(LearnAddressRequest{LearnOp::kAdd, p(prefix), client, ""});
  }
  // The refusal's text contains `what`, and nothing was committed.
  void expect_refused(const Result<std::string>& r, const char* what, int changes_before) {
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().text().find(what), std::string::npos) << r.error().text();
    EXPECT_EQ(kernel_.changes(), changes_before);
  }
  const FakeNft::Set& set(const SetRef& ref) const { return *nft_.set(ref); }

  FakeKernel kernel_;
  FakeNft nft_;
  Config config_;
  std::optional<ClientSets> sets_;
  Warnings warnings_;
};

TEST_F(ClientSetsBoundsTest, MembersCarryTheirInstanceAndOnlyThoseLeave) {
  nft_.put_member(kHosts, p("192.0.2.1/32"));  // by hand
  open();
  up("10.8.0.1", 24, "2001:db8:8::1", 64);
  ASSERT_TRUE(run(ClientConnectRequest{1, "alice"}).ok());
  ASSERT_TRUE(learn("10.8.0.2/32", 1).ok());
  ASSERT_TRUE(learn("2001:db8:8::2/128", 1).ok());
  EXPECT_EQ(set(kHosts).owners.at(p("10.8.0.2/32")), "vpnns:udp");
  EXPECT_EQ(set(kNets).owners.at(p("10.8.0.2/32")), "vpnns:udp");
  EXPECT_EQ(set(kHosts6).owners.at(p("2001:db8:8::2/128")), "vpnns:udp");
  nft_.put_member(kHosts, p("10.9.0.2/32"), "vpnns:tcp");  // another instance's
  ASSERT_TRUE(sets_->remove_own().ok());
  EXPECT_EQ(set(kHosts).members, (std::set<Prefix>{p("192.0.2.1/32"), p("10.9.0.2/32")}));
  EXPECT_TRUE(set(kNets).members.empty());
  EXPECT_TRUE(set(kHosts6).members.empty());
}

TEST_F(ClientSetsBoundsTest, AddressesOnlyInsideThePoolsTheFirstUpTold) {
  open();
  up("10.8.0.1", 24, "2001:db8:8::1", 64);
  EXPECT_EQ(sets_->pools(), (std::vector<Prefix>{p("10.8.0.0/24"), p("2001:db8:8::/64")}));
  up("10.0.0.1", 8, "2001:db8::1", 32);  // a later UP widens nothing
  EXPECT_EQ(sets_->pools().size(), 2U);
  ASSERT_TRUE(run(ClientConnectRequest{1, "alice"}).ok());
  const int before = kernel_.changes();
  expect_refused(learn("10.9.0.2/32", 1), "client pools (10.8.0.0/24,2001:db8:8::/64)", before);
  expect_refused(learn("2001:db8:9::2/128", 1), "outside", before);
  ASSERT_TRUE(learn("10.8.0.2/32", 1).ok());
  ASSERT_TRUE(learn("198.51.100.7/32", 1).ok());  // an iroute host
}

TEST_F(ClientSetsBoundsTest, AnUpAfterAClientConnectedTellsNothing) {
  open();
  ASSERT_TRUE(run(ClientConnectRequest{1, "alice"}).ok());
  const int before = kernel_.changes();
  expect_refused(learn("10.8.0.2/32", 1), "outside this server's client pools (none)", before);
  up("10.8.0.1", 24, "2001:db8:8::1", 64);
  EXPECT_TRUE(sets_->pools().empty());
  expect_refused(learn("10.8.0.2/32", 1), "client pools (none)", before);
}

TEST_F(ClientSetsBoundsTest, IrouteSubnetsOnlyInsideTheAllowedPrefixes) {
  open();
  up("10.8.0.1", 24, "2001:db8:8::1", 64);
  ASSERT_TRUE(run(ClientConnectRequest{1, "branch"}).ok());
  const int before = kernel_.changes();
  expect_refused(learn("192.168.0.0/16", 1), "client-iroutes= allows (198.51.100.0/24)", before);
  expect_refused(learn("198.51.0.0/16", 1), "iroute subnet outside", before);
  expect_refused(learn("10.8.0.0/24", 1), "iroute subnet outside", before);  // the pool itself
  ASSERT_TRUE(learn("198.51.100.128/25", 1).ok());
  EXPECT_TRUE(set(kNets).members.contains(p("198.51.100.128/25")));
}

TEST_F(ClientSetsBoundsTest, AtMostClientMaxClients) {
  open();
  ASSERT_TRUE(run(ClientConnectRequest{1, "a"}).ok());
  ASSERT_TRUE(run(ClientConnectRequest{2, "b"}).ok());
  const int before = kernel_.changes();
  expect_refused(run(ClientConnectRequest{3, "c"}), "client-max=2", before);
  EXPECT_EQ(sets_->clients(), 2U);
  ASSERT_TRUE(run(ClientDisconnectRequest{1, "a"}).ok());
  EXPECT_TRUE(run(ClientConnectRequest{3, "c"}).ok());
}

TEST_F(ClientSetsBoundsTest, AClashWithAnotherOwnerIsRefused) {
  nft_.put_member(kHosts, p("10.8.0.5/32"), "vpnns:tcp");
  nft_.put_member(kNets, p("198.51.100.0/24"));  // by hand
  open();
  up("10.8.0.1", 24, "2001:db8:8::1", 64);
  ASSERT_TRUE(run(ClientConnectRequest{1, "alice"}).ok());
  const int before = kernel_.changes();
  auto r = learn("10.8.0.5/32", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("instance 'tcp''s"), std::string::npos) << r.error().text();
  EXPECT_NE(r.error().text().find("client-set-shared=yes"), std::string::npos);
  r = learn("198.51.100.0/24", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("added by hand"), std::string::npos) << r.error().text();
  EXPECT_EQ(kernel_.changes(), before + 2);  // the two refused batches changed nothing
  EXPECT_EQ(set(kHosts).owners.at(p("10.8.0.5/32")), "vpnns:tcp");
  EXPECT_EQ(sets_->entries(), 0U);
}

TEST_F(ClientSetsBoundsTest, SharedSetsBorrowAnotherOwnersMemberAndLeaveIt) {
  config_.client_set_shared = true;
  nft_.put_member(kHosts, p("10.8.0.5/32"), "vpnns:tcp");
  open();
  up("10.8.0.1", 24, "2001:db8:8::1", 64);
  ASSERT_TRUE(run(ClientConnectRequest{1, "alice"}).ok());
  auto r = learn("10.8.0.5/32", 1);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(set(kHosts).owners.at(p("10.8.0.5/32")), "vpnns:tcp");  // still theirs
  EXPECT_EQ(set(kNets).owners.at(p("10.8.0.5/32")), "vpnns:udp");   // this one is ours
  for (const StateSet& s : sets_->snapshot().sets) {
    EXPECT_EQ(s.members, s.set == kNets ? 1U : 0U) << s.set.str();
  }
  ASSERT_TRUE(run(ClientDisconnectRequest{1, "alice"}).ok());
  EXPECT_EQ(set(kHosts).members, (std::set<Prefix>{p("10.8.0.5/32")}));
  EXPECT_TRUE(set(kNets).members.empty());
}

}  // namespace
}  // namespace vpnns
