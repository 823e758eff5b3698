// SPDX-License-Identifier: GPL-2.0-or-later
// envp/argv → typed requests, with the variables openvpn 2.6 really sets (see
// shared/OPENVPN-FACTS.md §4), and refusals that quote the offending variable.
#include "plugin/envp.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

class EnvFixture {
 public:
  explicit EnvFixture(std::vector<std::string> vars) : vars_(std::move(vars)) {
    for (auto& v : vars_) ptrs_.push_back(v.c_str());
    ptrs_.push_back(nullptr);
  }
  [[nodiscard]] Env env() const { return Env(ptrs_.data()); }
  [[nodiscard]] const char* const* raw() const { return ptrs_.data(); }

 private:
  std::vector<std::string> vars_;
  std::vector<const char*> ptrs_;
};

IpAddr a(const char* s) { return *IpAddr::parse(s); }

const std::vector<std::string> kUpSubnet = {"dev=tun0",
                                            "tun_mtu=1500",
                                            "script_context=init",
                                            "ifconfig_local=192.0.2.2",
                                            "ifconfig_netmask=255.255.255.0",
                                            "ifconfig_ipv6_local=2001:db8:100::1000",
                                            "ifconfig_ipv6_netbits=64",
                                            "ifconfig_ipv6_remote=2001:db8:100::1",
                                            "common_name=server",
                                            "X509_0_CN=server",
                                            "route_vpn_gateway=192.0.2.1"};

TEST(Envp, EnvLookupIsExact) {
  EnvFixture f({"dev=tun0", "device=x", "de=y", "dev=second", "empty="});
  EXPECT_EQ(*f.env().get("dev"), "tun0");
  EXPECT_EQ(*f.env().get("de"), "y");
  EXPECT_EQ(*f.env().get("empty"), "");
  EXPECT_FALSE(f.env().get("d").has_value());
  EXPECT_FALSE(Env(nullptr).get("dev").has_value());
}

TEST(Envp, UpSubnetTopology) {
  EnvFixture f(kUpSubnet);
  auto r = parse_up(f.env());
  ASSERT_TRUE(r.ok()) << r.error().message();
  const UpRequest& up = r->request;
  EXPECT_EQ(up.dev, "tun0");
  EXPECT_EQ(up.mtu, 1500u);
  EXPECT_EQ(up.context, Context::kInit);
  ASSERT_TRUE(up.v4);
  EXPECT_EQ(up.v4->local, a("192.0.2.2"));
  EXPECT_EQ(up.v4->prefix_len, 24);
  EXPECT_FALSE(up.v4->peer);
  ASSERT_TRUE(up.v6);
  EXPECT_EQ(up.v6->local, a("2001:db8:100::1000"));
  EXPECT_EQ(up.v6->prefix_len, 64);
}

TEST(Envp, UpNet30AndRestart) {
  EnvFixture f({"dev=tun3", "tun_mtu=1400", "script_context=restart", "ifconfig_local=192.0.2.6",
                "ifconfig_remote=192.0.2.5"});
  auto r = parse_up(f.env());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->request.context, Context::kRestart);
  ASSERT_TRUE(r->request.v4);
  EXPECT_EQ(r->request.v4->prefix_len, 32);
  EXPECT_EQ(r->request.v4->peer, a("192.0.2.5"));
  EXPECT_FALSE(r->request.v6);
}

struct BadEnv {
  std::vector<std::string> vars;
  const char* expected;
};

TEST(Envp, UpRefusalsQuoteTheVariable) {
  const std::vector<BadEnv> cases = {
      {{"tun_mtu=1500"}, "dev is not set"},
      {{"dev=tun0"}, "tun_mtu is not set"},
      {{"dev=tun 0", "tun_mtu=1500"}, "dev='tun 0'"},
      {{"dev=tun0", "tun_mtu=15x"}, "tun_mtu='15x'"},
      {{"dev=tun0", "tun_mtu=-1"}, "tun_mtu='-1'"},
      {{"dev=tun0", "tun_mtu=99999999999"}, "tun_mtu='99999999999'"},
      {{"dev=tun0", "tun_mtu=1500", "script_context=later"}, "script_context='later'"},
      {{"dev=tun0", "tun_mtu=1500", "ifconfig_local=192.0.2.300", "ifconfig_netmask=255.255.255.0"},
       "ifconfig_local='192.0.2.300'"},
      {{"dev=tun0", "tun_mtu=1500", "ifconfig_local=192.0.2.2"}, "neither ifconfig_remote"},
      {{"dev=tun0", "tun_mtu=1500", "ifconfig_local=192.0.2.2", "ifconfig_netmask=255.0.255.0"},
       "not a contiguous netmask"},
      {{"dev=tun0", "tun_mtu=1500", "ifconfig_ipv6_local=2001:db8::1"},
       "ifconfig_ipv6_netbits is not set"},
      {{"dev=tun0", "tun_mtu=1500", "ifconfig_ipv6_local=2001:db8::1", "ifconfig_ipv6_netbits=129"},
       "ifconfig_ipv6_netbits='129'"},
      {{"dev=tun0", "tun_mtu=1500", "ifconfig_ipv6_local=192.0.2.1", "ifconfig_ipv6_netbits=64"},
       "not an IPv6 address"},
  };
  for (const auto& c : cases) {
    EnvFixture f(c.vars);
    auto r = parse_up(f.env());
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_NE(r.error().message().find(c.expected), std::string::npos) << r.error().message();
  }
}

TEST(Envp, RouteUpRoutesAndDns) {
  std::vector<std::string> vars = kUpSubnet;
  vars.insert(
      vars.end(),
      {"route_network_1=203.0.113.0", "route_netmask_1=255.255.255.0", "route_gateway_1=192.0.2.1",
       "route_metric_1=7", "route_network_2=198.51.100.0", "route_netmask_2=255.255.255.0",
       "route_gateway_2=192.168.50.1", "route_net_gateway=192.168.50.1",
       "route_ipv6_network_1=2001:db8:200::/48", "route_ipv6_gateway_1=2001:db8:100::1",
       "foreign_option_1=dhcp-option DNS 192.0.2.53",
       "foreign_option_2=dhcp-option DOMAIN example.test",
       "foreign_option_3=dhcp-option DNS6 2001:db8:100::53",
       "foreign_option_4=dhcp-option DOMAIN-SEARCH corp.example.test",
       "foreign_option_5=dhcp-option NTP 192.0.2.123", "dns_server_1_address_1=192.0.2.53",
       "dns_search_domain_1=example.test"});
  EnvFixture f(vars);
  auto r = parse_route_up(f.env(), true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const RouteUpRequest& ru = r->request;
  ASSERT_EQ(ru.routes.size(), 2u);
  EXPECT_EQ(ru.routes[0], (Route{*Prefix::parse("203.0.113.0/24"), a("192.0.2.1"), 7}));
  EXPECT_EQ(ru.routes[1], (Route{*Prefix::parse("2001:db8:200::/48"), a("2001:db8:100::1"), {}}));
  // The net_gateway route cannot be honoured inside the namespace: dropped, with a warning.
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("198.51.100.0/24 via net_gateway"), std::string::npos);
  // --dns values first, then foreign options, without duplicates.
  EXPECT_EQ(ru.dns.servers, (std::vector<IpAddr>{a("192.0.2.53"), a("2001:db8:100::53")}));
  EXPECT_EQ(ru.dns.search, (std::vector<std::string>{"example.test", "corp.example.test"}));
}

TEST(Envp, DnsServersResolvConfCannotExpress) {
  EnvFixture f({"dev=tun0", "dns_server_1_address_1=192.0.2.53", "dns_server_1_port_1=5353",
                "dns_server_2_address_1=192.0.2.54", "dns_server_2_transport=DoT",
                "dns_server_3_address_1=192.0.2.55", "dns_server_3_address_2=2001:db8::55"});
  auto r = parse_route_up(f.env(), true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->request.dns.servers, (std::vector<IpAddr>{a("192.0.2.55"), a("2001:db8::55")}));
  EXPECT_EQ(r->warnings.size(), 2u);
}

// openvpn 2.7's dns-updown env (updown_env_set in its dns.c): dev, script_type, dns_*.
TEST(Envp, DnsUpdown) {
  EnvFixture up({"dev=tun0", "script_type=dns-up", "dns_search_domain_1=example.test",
                 "dns_server_1_address_1=192.0.2.53", "dns_server_1_address_2=2001:db8:100::53",
                 "dns_server_1_port_2=53", "dns_server_1_resolve_domain_1=corp.example.test",
                 "dns_server_1_dnssec=optional", "dns_server_2_address_1=192.0.2.54",
                 "dns_server_2_transport=DoT", "dns_server_2_sni=dns.example.test"});
  auto r = parse_dns_updown(up.env());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->request.up);
  EXPECT_EQ(r->request.dev, "tun0");
  EXPECT_EQ(r->request.dns.servers, (std::vector<IpAddr>{a("192.0.2.53"), a("2001:db8:100::53")}));
  EXPECT_EQ(r->request.dns.search, (std::vector<std::string>{"example.test"}));
  ASSERT_EQ(r->warnings.size(), 2u);  // server 1's resolve-domain; server 2's DoT
  EXPECT_NE(r->warnings[0].find("corp.example.test"), std::string::npos);
  EXPECT_NE(r->warnings[1].find("DoT"), std::string::npos);

  // dns-down: the values it repeats are not read.
  EnvFixture down({"dev=tun0", "script_type=dns-down", "dns_server_1_address_1=bogus"});
  auto d = parse_dns_updown(down.env());
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_FALSE(d->request.up);
  EXPECT_TRUE(d->request.dns.servers.empty());
}

TEST(Envp, DnsUpdownRefusals) {
  const std::vector<std::string> base = {"dev=tun0", "script_type=dns-up",
                                         "dns_server_1_address_1=192.0.2.53"};
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"dev=tun0", "script_type=up"}, "script_type"},
      {{"dev="}, "dev"},
      {{"dev=tun0;x", "script_type=dns-up"}, "dev"},
      {{"dns_server_1_port_1=0"}, "dns_server_1_port_1"},
      {{"dns_server_1_port_1=99999"}, "dns_server_1_port_1"},
      {{"dns_server_1_port_1=5x"}, "dns_server_1_port_1"},
      {{"dns_server_1_transport=QUIC"}, "dns_server_1_transport"},
      {{"dns_server_1_sni=a b"}, "dns_server_1_sni"},
      {{"dns_server_1_dnssec=maybe"}, "dns_server_1_dnssec"},
      {{"dns_server_1_resolve_domain_1=bad;domain"}, "dns_server_1_resolve_domain_1"},
      {{"dns_search_domain_1=$(reboot)"}, "dns_search_domain_1"},
      {{"dns_search_domain_1=a\nnameserver 198.51.100.66"}, "dns_search_domain_1"},
      {{"dns_search_domain_1=" + std::string(300, 'a')}, "dns_search_domain_1"},
      {{"dns_server_2_address_1=192.0.2.300"}, "dns_server_2_address_1"},
  };
  for (const auto& [extra, var] : cases) {
    std::vector<std::string> vars = extra;
    // Later duplicates are ignored (Env), so the case's own values come first.
    vars.insert(vars.end(), base.begin(), base.end());
    EnvFixture f(vars);
    auto r = parse_dns_updown(f.env());
    ASSERT_FALSE(r.ok()) << extra[0];
    EXPECT_NE(r.error().message().find(var), std::string::npos)
        << extra[0] << ": " << r.error().message();
  }
  // Bounded lists: nine search domains, nine servers.
  std::vector<std::string> many = base;
  for (int i = 1; i <= 9; ++i)
    many.push_back("dns_search_domain_" + std::to_string(i) + "=d" + std::to_string(i) + ".test");
  EnvFixture f(many);
  EXPECT_FALSE(parse_dns_updown(f.env()).ok());
  std::vector<std::string> servers = {"dev=tun0", "script_type=dns-up"};
  for (int i = 1; i <= 9; ++i) {
    servers.push_back("dns_server_" + std::to_string(i) + "_address_1=192.0.2." +
                      std::to_string(i));
  }
  EnvFixture g(servers);
  EXPECT_FALSE(parse_dns_updown(g.env()).ok());
}

TEST(Envp, RefusalsQuoteNonPrintableBytesEscaped) {
  EnvFixture f({"dev=tun0", "script_type=dns-up", "dns_server_1_address_1=192.0.2.53",
                "dns_search_domain_1=a\x1b[31m\xc2\x9b\\x.test"});
  auto r = parse_dns_updown(f.env());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("'a\\x1b[31m\\xc2\\x9b\\x5cx.test'"), std::string::npos)
      << r.error().message();
}

// openvpn 2.7 leaves dns_search_domain_1 (the DOMAIN's slot) unset for a list made from
// dhcp-option DOMAIN-SEARCH alone, and starts at _2.
TEST(Envp, DnsSearchListMayStartAtTwo) {
  EnvFixture f({"dev=tun0", "script_type=dns-up", "dns_server_1_address_1=192.0.2.53",
                "dns_search_domain_2=a.test", "dns_search_domain_3=b.test"});
  auto r = parse_dns_updown(f.env());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->request.dns.search, (std::vector<std::string>{"a.test", "b.test"}));
}

TEST(Envp, RouteUpWarnsWithoutRouteNoexec) {
  EnvFixture f({"dev=tun0", "redirect_gateway=1"});
  auto r = parse_route_up(f.env(), true);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("route-noexec"), std::string::npos);
  // In seal mode openvpn routes the tunnel itself, as it should.
  EXPECT_TRUE(parse_route_up(f.env(), false)->warnings.empty());
}

TEST(Envp, RouteUpRefusals) {
  const std::vector<BadEnv> cases = {
      {{"dev=tun0", "route_network_1=203.0.113.0"}, "route_netmask_1 is not set"},
      {{"dev=tun0", "route_network_1=203.0.113.1", "route_netmask_1=255.255.255.0"},
       "has host bits set"},
      {{"dev=tun0", "route_network_1=203.0.113.0", "route_netmask_1=255.0.255.0"},
       "not a contiguous netmask"},
      {{"dev=tun0", "route_network_1=203.0.113.0", "route_netmask_1=255.255.255.0",
        "route_gateway_1=gw.example"},
       "route_gateway_1='gw.example'"},
      {{"dev=tun0", "route_network_1=203.0.113.0", "route_netmask_1=255.255.255.0",
        "route_metric_1=1e3"},
       "route_metric_1='1e3'"},
      {{"dev=tun0", "route_ipv6_network_1=2001:db8::/129"},
       "route_ipv6_network_1='2001:db8::/129'"},
      {{"dev=tun0", "route_ipv6_network_1=2001:db8::1/64"}, "has host bits set"},
      {{"dev=tun0", "route_ipv6_network_1=203.0.113.0/24"}, "not an IPv6 prefix"},
      {{"dev=tun0", "foreign_option_1=dhcp-option DNS 192.0.2.53; rm -rf /"},
       "foreign_option_1='192.0.2.53; rm -rf /'"},
      {{"dev=tun0", "foreign_option_1=dhcp-option DNS dns.example"}, "not an IP address"},
      {{"dev=tun0", "foreign_option_1=dhcp-option DOMAIN a b"}, "not a DNS domain name"},
      {{"dev=tun0", "foreign_option_1=dhcp-option DOMAIN \"quoted\""}, "not a DNS domain name"},
      {{"dev=tun0", "foreign_option_1=dhcp-option DOMAIN " + std::string(300, 'a')},
       "not a DNS domain name"},
      {{"dev=tun0", "dns_search_domain_1=x;y"}, "dns_search_domain_1='x;y'"},
  };
  for (const auto& c : cases) {
    EnvFixture f(c.vars);
    auto r = parse_route_up(f.env(), true);
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_NE(r.error().message().find(c.expected), std::string::npos) << r.error().message();
  }
}

TEST(Envp, RouteCountIsBounded) {
  std::vector<std::string> vars = {"dev=tun0"};
  for (std::size_t i = 1; i <= kMaxRoutes + 1; ++i) {
    vars.push_back("route_network_" + std::to_string(i) + "=203.0.113.0");
    vars.push_back("route_netmask_" + std::to_string(i) + "=255.255.255.0");
  }
  EnvFixture f(vars);
  auto r = parse_route_up(f.env(), true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("more than 512 routes"), std::string::npos);
}

TEST(Envp, DnsCountIsBounded) {
  std::vector<std::string> vars = {"dev=tun0"};
  for (int i = 1; i <= 9; ++i) {
    vars.push_back("foreign_option_" + std::to_string(i) + "=dhcp-option DNS 192.0.2." +
                   std::to_string(i));
  }
  EnvFixture f(vars);
  EXPECT_FALSE(parse_route_up(f.env(), true).ok());
}

TEST(Envp, Down) {
  EnvFixture f({"dev=tun0", "script_context=restart", "signal=sigusr1"});
  auto r = parse_down(f.env());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request, (DownRequest{"tun0", Context::kRestart}));
  EnvFixture g({"dev=tun0"});
  EXPECT_EQ(parse_route_predown(g.env())->request, RoutePredownRequest{"tun0"});
}

TEST(Envp, IpChangeFromArgv) {
  EnvFixture env({"trusted_ip=198.51.100.9", "trusted_port=1"});
  const char* argv4[] = {"vpnns.so", "[AF_INET]198.51.100.1 1194", nullptr};
  auto r = parse_ipchange(env.env(), argv4);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->request, (IpChangeRequest{a("198.51.100.1"), 1194}));
  const char* argv6[] = {"vpnns.so", "[AF_INET6]2001:db8:1::1", "443", nullptr};
  r = parse_ipchange(env.env(), argv6);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->request, (IpChangeRequest{a("2001:db8:1::1"), 443}));
  const char* argv_bad[] = {"vpnns.so", "[AF_INET]not-an-ip 1194", nullptr};
  EXPECT_FALSE(parse_ipchange(env.env(), argv_bad).ok());
  const char* argv_port[] = {"vpnns.so", "198.51.100.1 70000", nullptr};
  EXPECT_FALSE(parse_ipchange(env.env(), argv_port).ok());
}

TEST(Envp, IpChangeFallsBackToEnv) {
  EnvFixture env({"trusted_ip=198.51.100.9", "trusted_port=1194"});
  const char* argv[] = {"vpnns.so", nullptr};
  auto r = parse_ipchange(env.env(), argv);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->request, (IpChangeRequest{a("198.51.100.9"), 1194}));
}

}  // namespace
}  // namespace vpnns
