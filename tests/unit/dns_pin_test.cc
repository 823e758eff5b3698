// SPDX-License-Identifier: GPL-2.0-or-later
// The DNS pin's state machine (helper/dns_pin.h) against the fake nftables: install, change of
// servers in one transaction, repair, a failed transaction that changes nothing, and removal of
// its own table only. What only the kernel can show (DNS dropped) stays in tests/priv.
#include "helper/dns_pin.h"

#include <gtest/gtest.h>

#include "tests/unit/fake_kernel.h"
#include "tests/unit/fake_nft.h"

namespace vpnns {
namespace {

using testing::FakeKernel;
using testing::FakeNft;

IpAddr a(const char* s) { return *IpAddr::parse(s); }

constexpr const char* kComment = "vpnns DNS pin for openvpn instance 'work'; helper pid 1";

class DnsPinModeTest : public ::testing::Test {
 protected:
  DnsPinModeTest() : nft_(kernel_) {
    DnsPinSpec spec;
    spec.comment = kComment;
    pin_.emplace(spec, nft_.ops(), "work");
  }

  std::vector<IpAddr> pinned() const {
    const DnsPinState* st = nft_.dns_pin(kDnsPinTable);
    return st ? st->servers : std::vector<IpAddr>{};
  }

  FakeKernel kernel_;
  FakeNft nft_;
  std::optional<DnsPin> pin_;
  std::vector<std::string> w_;
};

TEST_F(DnsPinModeTest, InstallsThenChangesOnlyTheServersInOneTransaction) {
  auto r = pin_->apply({a("192.0.2.53"), a("192.0.2.53"), a("2001:db8::53")}, w_);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(*r, "DNS pinned to 192.0.2.53 2001:db8::53");  // duplicates once
  EXPECT_EQ(pinned(), (std::vector<IpAddr>{a("192.0.2.53"), a("2001:db8::53")}));
  ASSERT_TRUE(pin_->apply({a("192.0.2.54"), a("2001:db8::53")}, w_).ok());
  EXPECT_EQ(nft_.last_commit().size(), 2U);  // one out, one in
  EXPECT_EQ(nft_.commits(), 2);
  ASSERT_TRUE(pin_->apply({a("192.0.2.54"), a("2001:db8::53")}, w_).ok());
  EXPECT_EQ(nft_.commits(), 2);  // already so
  EXPECT_TRUE(w_.empty());
  r = pin_->apply({}, w_);
  EXPECT_NE(r->find("is dropped"), std::string::npos);
  EXPECT_TRUE(pinned().empty());
  EXPECT_TRUE(pin_->active());
}

TEST_F(DnsPinModeTest, AFailedTransactionChangesNothingHereOrThere) {
  ASSERT_TRUE(pin_->apply({a("192.0.2.53")}, w_).ok());
  kernel_.fail_at(1);
  auto r = pin_->apply({a("192.0.2.99")}, w_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("was NOT updated"), std::string::npos);
  EXPECT_EQ(pinned(), std::vector<IpAddr>{a("192.0.2.53")});
  EXPECT_EQ(pin_->servers(), std::vector<IpAddr>{a("192.0.2.53")});
  // The first install failing leaves no pin, and none believed.
  DnsPinSpec spec;
  spec.comment = kComment;
  nft_.flush();
  DnsPin fresh(spec, nft_.ops(), "work");
  kernel_.fail_at(1);
  EXPECT_FALSE(fresh.apply({a("192.0.2.53")}, w_).ok());
  EXPECT_FALSE(fresh.active());
  EXPECT_EQ(nft_.dns_pin(kDnsPinTable), nullptr);
}

TEST_F(DnsPinModeTest, ReassertRepairsAndSaysSo) {
  ASSERT_TRUE(pin_->reassert(w_).ok());  // no pin yet: nothing to do
  EXPECT_EQ(nft_.commits(), 0);
  ASSERT_TRUE(pin_->apply({a("192.0.2.53")}, w_).ok());
  nft_.flush();
  ASSERT_TRUE(pin_->reassert(w_).ok());
  ASSERT_EQ(w_.size(), 1U);
  EXPECT_NE(w_[0].find("removed underneath"), std::string::npos) << w_[0];
  nft_.damage(kDnsPinTable);
  ASSERT_TRUE(pin_->reassert(w_).ok());
  ASSERT_EQ(w_.size(), 2U);
  EXPECT_NE(w_[1].find("changed underneath"), std::string::npos) << w_[1];
  EXPECT_EQ(pinned(), std::vector<IpAddr>{a("192.0.2.53")});
}

TEST_F(DnsPinModeTest, AStaleTableIsReplacedAndAnotherOwnersIsNeverRemoved) {
  DnsPinState stale;
  stale.exists = true;
  stale.comment = "vpnns DNS pin for openvpn instance 'work'; helper pid 999";
  stale.rules = kDnsPinRules;
  stale.has_server_sets = true;
  nft_.put(kDnsPinTable, stale);
  ASSERT_TRUE(pin_->apply({a("192.0.2.53")}, w_).ok());
  ASSERT_EQ(w_.size(), 1U);
  EXPECT_NE(w_[0].find("replaced a stale"), std::string::npos) << w_[0];
  ASSERT_TRUE(pin_->remove().ok());
  EXPECT_EQ(nft_.dns_pin(kDnsPinTable), nullptr);
  EXPECT_FALSE(pin_->active());
  // Another owner's table of that name: not ours to delete.
  nft_.put(kDnsPinTable, stale);
  ASSERT_TRUE(pin_->remove().ok());
  EXPECT_NE(nft_.dns_pin(kDnsPinTable), nullptr);
}

}  // namespace
}  // namespace vpnns
