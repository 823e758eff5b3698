// SPDX-License-Identifier: GPL-2.0-or-later
// PeerEvidence (helper/peer_evidence.h): which addresses the seal may be aimed at, decided on
// what the helper resolved; resolve() of IP literals needs no resolver.
#include "helper/peer_evidence.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

IpAddr ip(const char* text) { return *IpAddr::parse(text); }

TEST(PeerEvidence, AcceptsOnlyAddressesOfTheConfiguredHosts) {
  const PeerEvidence e({{"vpn.example.test", {ip("198.51.100.1"), ip("2001:db8:1::1")}, ""},
                        {"203.0.113.9", {ip("203.0.113.9")}, ""},
                        {"down.example.test", {}, "Temporary failure in name resolution"}});
  for (const char* ok : {"198.51.100.1", "2001:db8:1::1", "203.0.113.9"}) {
    EXPECT_TRUE(e.check(ip(ok))) << ok;
  }
  for (const char* bad : {"198.51.100.2", "2001:db8:1::2", "192.0.2.53"}) {
    Status s = e.check(ip(bad));
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code(), Code::kPermissionDenied);
    const std::string m = s.error().message();
    EXPECT_NE(m.find(std::string(bad) + " is not one that openvpn's configuration connects to"),
              std::string::npos)
        << m;
    // What the helper knows, named: a literal as itself, a name with its addresses or its error.
    EXPECT_NE(m.find("vpn.example.test = 198.51.100.1 2001:db8:1::1; 203.0.113.9; "
                     "down.example.test = not resolved: Temporary failure in name resolution"),
              std::string::npos)
        << m;
  }
}

TEST(PeerEvidence, NoHostsMeansNoAddress) {
  const PeerEvidence e({});
  Status s = e.check(ip("198.51.100.1"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("at start: none"), std::string::npos);
}

TEST(PeerEvidence, ResolvesLiteralsOfBothFamilies) {
  const PeerEvidence e = PeerEvidence::resolve({"198.51.100.1", "2001:db8:1::1"});
  ASSERT_EQ(e.hosts().size(), 2u);
  EXPECT_EQ(e.hosts()[0].addrs, std::vector<IpAddr>{ip("198.51.100.1")});
  EXPECT_EQ(e.hosts()[1].addrs, std::vector<IpAddr>{ip("2001:db8:1::1")});
  EXPECT_TRUE(e.check(ip("2001:db8:1::1")));
}

}  // namespace
}  // namespace vpnns
