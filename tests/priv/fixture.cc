// SPDX-License-Identifier: GPL-2.0-or-later
#include "tests/priv/fixture.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/config.h"
#include "common/tun_fd.h"

#ifndef VPNNS_TEST_HELPER
#error "VPNNS_TEST_HELPER must name the built helper"
#endif

namespace vpnns::testing {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool exists(const std::string& path) {
  struct stat st = {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool process_gone(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty()) return true;
    const auto close_paren = stat.rfind(')');
    if (close_paren != std::string::npos && stat.size() > close_paren + 2 &&
        stat[close_paren + 2] == 'Z') {
      return true;
    }
    ::usleep(10'000);
  }
  return false;
}

std::string sh(const std::string& cmd, bool may_fail) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "popen " << cmd;
    return out;
  }
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  if (status != 0 && !may_fail) ADD_FAILURE() << "`" << cmd << "` failed: " << out;
  return out;
}

UniqueFd open_tun(const std::string& name, bool tap) {
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!fd) {
    ADD_FAILURE() << "open /dev/net/tun: " << std::strerror(errno);
    return fd;
  }
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = static_cast<short>((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) {
    ADD_FAILURE() << "TUNSETIFF " << name << ": " << std::strerror(errno);
    fd.reset();
  }
  return fd;
}

IpAddr ip(const char* text) { return *IpAddr::parse(text); }
Prefix prefix(const char* text) { return *Prefix::parse(text); }

void HelperTest::SetUp() {
  const std::string id = "vp" + std::to_string(::getpid());
  outer_ = id + "-o";
  target_ = id + "-v";
  instance_ = id;
  ASSERT_EQ(::geteuid(), 0u) << "privileged tests run as root";
  original_ns_.reset(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  sh("ip netns add " + outer_);
  UniqueFd ns(::open(("/run/netns/" + outer_).c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(ns.valid());
  ASSERT_EQ(::setns(ns.get(), CLONE_NEWNET), 0) << std::strerror(errno);
  sh("ip link set lo up");
  tun_ = open_tun(tun_name_);
  ASSERT_TRUE(tun_.valid());
}

void HelperTest::TearDown() {
  if (helper_) (void)helper_->close();
  helper_.reset();
  tun_.reset();
  if (original_ns_) (void)::setns(original_ns_.get(), CLONE_NEWNET);
  sh("ip netns del " + outer_, true);
  sh("ip netns del " + target_, true);
  sh("rm -rf /etc/netns/" + target_, true);
  sh("rm -f /run/vpnns/netns/" + target_, true);  // the helper's marker (netns_marker.h)
}

void HelperTest::start(const std::vector<std::string>& extra, bool netns) {
  std::vector<std::string> words = {std::string("helper=") + VPNNS_TEST_HELPER};
  if (netns) words.push_back("netns=" + target_);
  words.insert(words.end(), extra.begin(), extra.end());
  auto config = parse_config(words, ConfigDefaults{VPNNS_TEST_HELPER, instance_});
  ASSERT_TRUE(config.ok()) << config.error().message();
  auto h = HelperProcess::start(*config, remotes_);
  ASSERT_TRUE(h.ok()) << h.error().text();
  helper_.emplace(std::move(*h));
}

Reply HelperTest::call(const Request& request) {
  EXPECT_TRUE(helper_.has_value());
  if (!helper_) return Reply{Code::kInternal, "no helper", {}};
  // As the plugin does: UP carries this process's (openvpn's) descriptors of the device.
  std::vector<int> fds;
  if (const auto* up = std::get_if<UpRequest>(&request)) fds = own_tun_fds(up->dev);
  auto r = helper_->call(request, kCallTimeoutMs, fds);
  EXPECT_TRUE(r.ok()) << r.error().text();
  return r.ok() ? *r : Reply{r.error().code(), r.error().text(), {}};
}

Reply HelperTest::expect_ok(const Request& request) {
  Reply r = call(request);
  EXPECT_TRUE(r.ok()) << request_name(request) << ": " << r.message;
  return r;
}

Reply HelperTest::expect_refused(const Request& request, const std::string& reason) {
  Reply r = call(request);
  EXPECT_FALSE(r.ok()) << request_name(request) << " accepted: " << r.message;
  EXPECT_NE(r.message.find(reason), std::string::npos) << "reason: " << r.message;
  return r;
}

UpRequest HelperTest::subnet_up() const {
  UpRequest up;
  up.dev = tun_name_;
  up.mtu = 1400;
  up.v4 = Ipv4Config{ip("192.0.2.2"), 24, std::nullopt};
  up.v6 = Ipv6Config{ip("2001:db8:100::1000"), 64};
  return up;
}

RouteUpRequest HelperTest::route_up() const {
  RouteUpRequest r;
  r.dev = tun_name_;
  r.routes = {Route{prefix("203.0.113.0/24"), ip("192.0.2.1"), 5},
              Route{prefix("2001:db8:200::/48"), ip("2001:db8:100::1"), std::nullopt}};
  r.dns.servers = {ip("192.0.2.53"), ip("2001:db8:100::53")};
  r.dns.search = {"example.test"};
  return r;
}

std::string HelperTest::links(const std::string& ns) const {
  return sh("ip -n " + ns +
            " -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | "
            "tr '\\n' ' '");
}

std::string HelperTest::addrs(const std::string& ns, const std::string& dev) const {
  return sh("ip -n " + ns + " -o addr show dev " + dev +
                " | awk '{print $4}' | grep -v '^fe80' | "
                "sort | tr '\\n' ' '",
            true);
}

std::string HelperTest::routes(const std::string& ns) const {
  // "proto 86" whether or not /etc/iproute2/rt_protos.d names it (an installed vpnns does).
  return sh("{ ip -n " + ns + " route show table main; ip -n " + ns +
                " -6 route show table main | grep -v -e '^fe80::/64' -e '^multicast'; } | "
                "sed 's/ proto vpnns\\( \\|$\\)/ proto 86\\1/'",
            true);
}

std::string HelperTest::snapshot() const {
  std::string out = sh("nft list ruleset", true);
  for (const std::string& ns : {outer_, target_}) {
    out += "== " + ns + "\n" + sh("ip -n " + ns + " -d link show", true) +
           sh("ip -n " + ns + " addr show", true) + routes(ns);
  }
  out += sh("ip netns list | sort");
  out += sh("ls -la --time-style=+ /etc/netns/" + target_ + " && cat /etc/netns/" + target_ + "/*",
            true);
  return out;
}

}  // namespace vpnns::testing
