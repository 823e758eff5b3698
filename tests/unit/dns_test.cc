// SPDX-License-Identifier: GPL-2.0-or-later
// Rendering of the namespace's DNS files (the I/O is tested in tests/priv).
#include "helper/dns.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

TEST(ResolvConf, ServersAndSearch) {
  DnsConfig dns{{*IpAddr::parse("192.0.2.53"), *IpAddr::parse("2001:db8:100::53")},
                {"example.test", "corp.example.test"}};
  EXPECT_EQ(render_resolv_conf(dns),
            "# Written by vpnns: the DNS servers of this namespace's VPN tunnel.\n"
            "nameserver 192.0.2.53\n"
            "nameserver 2001:db8:100::53\n"
            "search example.test corp.example.test\n");
}

// vpnnsctl reset removes only files that begin with the header: both must.
TEST(DnsFiles, BothBeginWithTheHeaderResetLooksFor) {
  EXPECT_TRUE(render_resolv_conf({}).starts_with(kVpnnsFileHeader));
  EXPECT_TRUE(render_nsswitch_conf("hosts: files dns\n").starts_with(kVpnnsFileHeader));
  EXPECT_TRUE(render_nsswitch_conf("").starts_with(kVpnnsFileHeader));
}

TEST(ResolvConf, NoServersFailsClosed) {
  const std::string out = render_resolv_conf({});
  EXPECT_EQ(out.find("nameserver"), std::string::npos);
  EXPECT_NE(out.find("pushed no DNS servers"), std::string::npos);
}

TEST(NsswitchConf, ReplacesOnlyTheHostsLine) {
  const std::string host =
      "passwd:         files systemd\n"
      "hosts:          files mdns4_minimal [NOTFOUND=return] resolve [!UNAVAIL=return] dns\n"
      "  hosts: myhostname\n"
      "networks:       files\n";
  const std::string out = render_nsswitch_conf(host);
  EXPECT_NE(out.find("passwd:         files systemd\n"), std::string::npos);
  EXPECT_NE(out.find("hosts:          files dns\n"), std::string::npos);
  EXPECT_EQ(out.find("resolve"), std::string::npos);
  EXPECT_EQ(out.find("myhostname"), std::string::npos);
  EXPECT_NE(out.find("networks:       files\n"), std::string::npos);
}

TEST(NsswitchConf, AddsAHostsLineWhenMissing) {
  EXPECT_NE(render_nsswitch_conf("passwd: files\n").find("hosts:          files dns\n"),
            std::string::npos);
  EXPECT_NE(render_nsswitch_conf("").find("hosts:          files dns\n"), std::string::npos);
  // No trailing newline in the host's file.
  EXPECT_NE(render_nsswitch_conf("passwd: files").find("passwd: files\nhosts:"), std::string::npos);
}

}  // namespace
}  // namespace vpnns
