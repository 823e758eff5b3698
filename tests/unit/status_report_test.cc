// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl status's judgement (ctl/status_report.h), with made-up kernel views; and the words
// the kernel view is read from (seal comments, resolv.conf).
#include "ctl/status_report.h"

#include <gtest/gtest.h>

#include <functional>

#include "tests/unit/status_fixtures.h"

namespace vpnns::ctl {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

TEST(StatusEvaluate, HealthyWhenTheKernelAgrees) {
  auto r = report_of(client_state(), matching_kernel());
  EXPECT_TRUE(r.healthy()) << all(r);
  EXPECT_FALSE(r.stale());
  // Unprivileged: no kernel view, judged on the state file and liveness.
  EXPECT_TRUE(report_of(client_state(), std::nullopt).healthy());
}

TEST(StatusEvaluate, StaleWhenTheHelperIsGone) {
  auto r = report_of(client_state(), std::nullopt, false);
  EXPECT_TRUE(r.stale());
  ASSERT_FALSE(r.healthy());
  EXPECT_NE(all(r).find("stale: helper pid 1234 is gone"), std::string::npos);
  EXPECT_NE(all(r).find("vpnnsctl reset work"), std::string::npos);
}

TEST(StatusEvaluate, UnreadableStateFile) {
  InstanceReport r;
  r.instance = "work";
  r.path = "/run/vpnns/work.json";
  r.state_error = "JSON: unexpected end at byte 0";
  evaluate(r);
  EXPECT_FALSE(r.healthy());
  EXPECT_FALSE(r.stale());
  EXPECT_NE(all(r).find("unexpected end"), std::string::npos);
}

// Each disagreement names both sides.
TEST(StatusEvaluate, NamesEveryDisagreement) {
  struct Case {
    const char* name;
    std::function<void(InstanceState&, KernelView&)> change;
    const char* expect;
  };
  const Case cases[] = {
      {"namespace gone", [](auto&, KernelView& k) { k.netns->exists = false; },
       "kernel: /run/netns/work does not exist"},
      {"namespace replaced", [](auto&, KernelView& k) { k.netns->ino = 78; },
       "is 4:77; kernel: /run/netns/work is 4:78 (a different namespace)"},
      {"device gone", [](auto&, KernelView& k) { k.netns->device.reset(); },
       "kernel: no device tun0 there"},
      {"device down", [](auto&, KernelView& k) { k.netns->device->up = false; },
       "kernel: tun0 is down"},
      {"other device", [](auto&, KernelView& k) { k.netns->device->ifindex = 9; },
       "has ifindex 3; kernel: 9"},
      {"address", [](auto&, KernelView& k) { k.netns->addresses.pop_back(); },
       "kernel: 2001:db8:100::2/64"},
      {"route", [](auto&, KernelView& k) { k.netns->routes.clear(); },
       "routes 0.0.0.0/0, ::/0 in network namespace 'work'; kernel (proto vpnns): none"},
      {"dns", [](auto&, KernelView& k) { k.dns->servers = {*IpAddr::parse("192.0.2.54")}; },
       "/etc/netns/work/resolv.conf: 192.0.2.54"},
      {"dns file gone", [](auto&, KernelView& k) { k.dns->exists = false; },
       "/etc/netns/work/resolv.conf does not exist"},
      {"dns file left", [](InstanceState& s, KernelView&) { s.netns->dns.reset(); },
       "written by vpnns is still there"},
      {"dns pin gone", [](auto&, KernelView& k) { k.dns_pin->exists = false; },
       "DNS pinned to 192.0.2.53; kernel: no table inet vpnns-dns in network namespace 'work' "
       "(NOT pinned)"},
      {"dns pin owner", [](auto&, KernelView& k) { k.dns_pin->owner_pid = 99; },
       "table inet vpnns-dns in network namespace 'work' belongs to helper pid 1234"},
      {"dns pin servers", [](auto&, KernelView& k) { k.dns_pin->servers.clear(); },
       "vpnns-dns in network namespace 'work' allows none"},
      {"dns pin left", [](InstanceState& s, KernelView&) { s.netns->dns_pin->active = false; },
       "DNS pin inactive; kernel: table inet vpnns-dns in network namespace 'work' still exists"},
      {"seal gone", [](auto&, KernelView& k) { k.seal->exists = false; }, "(NOT sealed)"},
      {"seal owner", [](auto&, KernelView& k) { k.seal->owner_pid = 99; },
       "belongs to helper pid 1234; kernel: its comment says"},
      {"seal server", [](auto&, KernelView& k) { k.seal->servers.clear(); },
       "sealed 198.51.100.1; kernel: table inet vpnns-work holds none"},
      {"seal uids", [](auto&, KernelView& k) { k.seal->uids = std::vector<std::uint32_t>{0}; },
       "accepts uids 0, 65534; kernel: 0"},
      {"seal no uid set", [](auto&, KernelView& k) { k.seal->uids.reset(); }, "has no uid set"},
      {"seal left", [](InstanceState& s, KernelView&) { s.seal->active = false; },
       "seal inactive; kernel: table inet vpnns-work still exists"},
      {"kernel unreadable", [](auto&, KernelView& k) { k.errors.push_back("opening x: EPERM"); },
       "kernel state not read: opening x: EPERM"},
  };
  for (const Case& c : cases) {
    InstanceState s = client_state();
    KernelView k = matching_kernel();
    c.change(s, k);
    auto r = report_of(s, k);
    EXPECT_FALSE(r.healthy()) << c.name;
    EXPECT_NE(all(r).find(c.expect), std::string::npos) << c.name << ":\n" << all(r);
  }
}

TEST(StatusEvaluate, ClientSets) {
  InstanceState s = client_state();
  s.netns.reset();
  s.seal.reset();
  s.role = Role::kServer;
  s.client_sets = StateClientSets{
      std::nullopt,
      2,
      {{{"inet", "fw", "clients"}, 2, false}, {{"inet", "fw", "clients6"}, 2, false}}};
  KernelView k;
  k.openvpn_running = true;
  k.client_sets = std::vector<KernelSet>{{{"inet", "fw", "clients"}, true, 2},
                                         {{"inet", "fw", "clients6"}, true, 2}};
  EXPECT_TRUE(report_of(s, k).healthy());
  (*k.client_sets)[0].members = 5;
  (*k.client_sets)[1].exists = false;
  auto r = report_of(s, k);
  EXPECT_NE(all(r).find("set inet/fw/clients has 2 members; kernel: 5"), std::string::npos);
  EXPECT_NE(all(r).find("set inet/fw/clients6 with 2 members; kernel: no such set"),
            std::string::npos);
}

// The seal table's comment: what reset and status read its owner from.
TEST(ResolvConf, ParsesServersAndSearch) {
  auto d = parse_resolv_conf(
      "# Written by vpnns: the DNS servers of this namespace's VPN tunnel.\n"
      "nameserver 192.0.2.53\nnameserver 2001:db8:100::53\nsearch a.test\nsearch b.test c.test\n");
  EXPECT_TRUE(d.written_by_vpnns);
  EXPECT_EQ(d.servers, (std::vector<IpAddr>{ip("192.0.2.53"), ip("2001:db8:100::53")}));
  EXPECT_EQ(d.search, (std::vector<std::string>{"b.test", "c.test"}));
  EXPECT_FALSE(parse_resolv_conf("nameserver 192.0.2.1\n").written_by_vpnns);
}

}  // namespace
}  // namespace vpnns::ctl
