// vpnnsctl status's judgement and rendering (ctl/status_report.h), with made-up kernel views.
#include "ctl/status_report.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "helper/seal.h"

namespace vpnns::ctl {
namespace {

IpAddr ip(const char* t) { return *IpAddr::parse(t); }
Prefix prefix(const char* t) { return *Prefix::parse(t); }

InstanceState client_state() {
  InstanceState s;
  s.instance = "work";
  s.helper_pid = 1234;
  s.helper_start_time = 5;
  s.openvpn_pid = 1200;
  s.openvpn_uid = 65534;
  s.started_at = 1000;
  s.updated_at = 1010;
  s.last_event = StateEvent{"ROUTE_UP", true, "2 routes", 1010};
  StateNetns n;
  n.name = "work";
  n.dev = 4;
  n.ino = 77;
  n.tunnel_up = true;
  n.device = StateDevice{"tun0", 3, 1500};
  n.addresses = {{ip("192.0.2.2"), 24, std::nullopt}, {ip("2001:db8:100::2"), 64, std::nullopt}};
  n.routes = {{prefix("0.0.0.0/0"), std::nullopt, 0}, {prefix("::/0"), std::nullopt, 1024}};
  n.dns = DnsConfig{{ip("192.0.2.53")}, {"example.test"}};
  n.dns_pin = StateDnsPin{true, {ip("192.0.2.53")}};
  s.netns = n;
  s.seal = StateSeal{"vpnns-work", true, {ip("198.51.100.1")}, {0, 65534}, std::nullopt};
  return s;
}

// What the kernel holds when all is well: the same, in another order.
KernelView matching_kernel() {
  KernelView k;
  k.openvpn_running = true;
  k.openvpn_uid = 65534;
  KernelNetns n;
  n.name = "work";
  n.exists = true;
  n.dev = 4;
  n.ino = 77;
  n.links = {"lo", "tun0"};
  n.device = KernelLink{3, "tun0", true, 1500};
  n.addresses = {{ip("2001:db8:100::2"), 64, std::nullopt}, {ip("192.0.2.2"), 24, std::nullopt}};
  n.routes = {{prefix("::/0"), std::nullopt, 1024}, {prefix("0.0.0.0/0"), std::nullopt, 0}};
  k.netns = n;
  KernelDns d;
  d.path = "/etc/netns/work/resolv.conf";
  d.exists = true;
  d.written_by_vpnns = true;
  d.servers = {ip("192.0.2.53")};
  d.search = {"example.test"};
  k.dns = d;
  KernelDnsPin pin;
  pin.table = "vpnns-dns";
  pin.exists = true;
  pin.comment =
      "vpnns DNS pin for openvpn instance 'work' in network namespace 'work'; helper pid 1234";
  pin.owner_pid = 1234;
  pin.servers = {ip("192.0.2.53")};
  pin.dropped_packets = 2;
  k.dns_pin = pin;
  KernelSeal seal;
  seal.table = "vpnns-work";
  seal.where = "openvpn's network namespace (pid 1200)";
  seal.exists = true;
  seal.comment = "vpnns seal for openvpn instance 'work'; helper pid 1234";
  seal.owner_pid = 1234;
  seal.servers = {ip("198.51.100.1")};
  seal.uids = std::vector<std::uint32_t>{65534, 0};
  seal.dropped_packets = 7;
  seal.rules = 4;
  k.seal = seal;
  return k;
}

InstanceReport report_of(InstanceState s, std::optional<KernelView> k, bool helper = true) {
  InstanceReport r;
  r.instance = s.instance;
  r.path = "/run/vpnns/" + s.instance + ".json";
  r.state = std::move(s);
  r.helper_running = helper;
  r.openvpn_running = true;
  r.kernel = std::move(k);
  evaluate(r);
  return r;
}

// An object's member names, in order.
std::vector<std::string> keys(const Json& object) {
  std::vector<std::string> out;
  for (const auto& [key, value] : object.items()) out.push_back(key);
  return out;
}

std::string all(const InstanceReport& r) {
  std::string out;
  for (const auto& p : r.problems) out += p + "\n";
  return out;
}

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

TEST(StatusJson, Version1Layout) {
  StatusReport report;
  report.kernel_read = true;
  report.instances.push_back(report_of(client_state(), matching_kernel()));
  const Json j = report_json(report);
  EXPECT_EQ(keys(j),
            (std::vector<std::string>{"vpnnsctl_status", "kernel_read", "healthy", "instances"}));
  EXPECT_EQ(json_find(j, "vpnnsctl_status")->get<std::int64_t>(), 1);
  EXPECT_TRUE(json_find(j, "healthy")->get<bool>());
  const Json& i = (*json_find(j, "instances"))[0];
  EXPECT_EQ(keys(i),
            (std::vector<std::string>{"instance", "state_file", "healthy", "stale", "problems",
                                      "helper", "openvpn", "state", "kernel"}));
  EXPECT_EQ(*json_find(i, "state"), state_to_json(client_state()));
  EXPECT_EQ(json_dump(*json_find(i, "helper")), R"({"pid":1234,"running":true})");
  const Json& k = *json_find(i, "kernel");
  EXPECT_EQ(keys(k), (std::vector<std::string>{"openvpn_uid", "netns", "dns", "dns_pin", "seal",
                                               "client_sets", "errors"}));
  EXPECT_EQ(json_dump(*json_find(k, "dns_pin")),
            R"({"family":"inet","table":"vpnns-dns","exists":true,"owner_pid":1234,)"
            R"("servers":["192.0.2.53"],"dropped_packets":2})");
  EXPECT_EQ(json_dump(*json_find(k, "seal")),
            R"({"family":"inet","table":"vpnns-work",)"
            R"x("namespace":"openvpn's network namespace (pid 1200)","exists":true,)x"
            R"("owner_pid":1234,"servers":["198.51.100.1"],"uids":[65534,0],)"
            R"("dropped_packets":7})");
  EXPECT_EQ(json_dump(*json_find(*json_find(k, "netns"), "device")),
            R"({"name":"tun0","ifindex":3,"up":true,"mtu":1500})");
  EXPECT_TRUE(json_find(k, "client_sets")->is_null());
  // It parses back (one document).
  EXPECT_TRUE(json_parse(json_dump(j, true)));

  report.instances.push_back(report_of(client_state(), std::nullopt, false));
  EXPECT_FALSE(json_find(report_json(report), "healthy")->get<bool>());
}

TEST(StatusText, Compact) {
  StatusReport report;
  report.kernel_read = true;
  report.instances.push_back(report_of(client_state(), matching_kernel()));
  const std::string text = report_text(report, 1012);
  EXPECT_EQ(text.rfind("work (client): healthy\n", 0), 0u) << text;
  for (const char* want :
       {"  processes    helper pid 1234 running, openvpn pid 1200 running as uid 65534\n",
        "  namespace    'work', tun0 up, ifindex 3, mtu 1500\n",
        "  addresses    192.0.2.2/24, 2001:db8:100::2/64\n", "  routes       0.0.0.0/0, ::/0\n",
        "  dns          192.0.2.53; search example.test\n",
        "  dns pin      on 192.0.2.53 (table inet vpnns-dns); 2 packets dropped\n",
        "  seal         on 198.51.100.1 (table inet vpnns-work, accepting uids 0, 65534); 7 "
        "packets dropped\n",
        "(2 s ago): 2 routes\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin:\n" << text;
  }
  EXPECT_EQ(text.find("needs root"), std::string::npos);

  report.kernel_read = false;
  report.instances[0] = report_of(client_state(), std::nullopt, false);
  report.instances[0].state->last_event->message = "evil\x1b[2J";
  const std::string stale = report_text(report, 1012);
  EXPECT_NE(stale.find("work (client): STALE (its helper is gone)"), std::string::npos) << stale;
  EXPECT_NE(stale.find("helper pid 1234 GONE"), std::string::npos);
  EXPECT_NE(stale.find("  !            stale: helper pid 1234"), std::string::npos) << stale;
  EXPECT_NE(stale.find("reading the kernel's state needs root"), std::string::npos);
  EXPECT_EQ(stale.find('\x1b'), std::string::npos) << "control characters reach the terminal";
  EXPECT_EQ(report_text(StatusReport{}, 0), "no vpnns instances are running\n");
}

TEST(StatusText, PrintableKeepsControlsFromTheTerminal) {
  EXPECT_EQ(printable("a\x1b[2Jb\x7f\n"), "a?[2Jb??");
  EXPECT_EQ(printable("csi\xc2\x9b"
                      "31m"),
            "csi?31m");                                                  // C1 CSI
  EXPECT_EQ(printable("\xff\xc3"), "??");                                // not UTF-8
  EXPECT_EQ(printable("caf\xc3\xa9 \xc2\xa0"), "caf\xc3\xa9 \xc2\xa0");  // é and NBSP pass
}

// The seal table's comment: what reset and status read its owner from.
TEST(SealComment, NamesInstanceAndOwner) {
  const std::string c = seal_comment("work", 1234);
  EXPECT_EQ(c, "vpnns seal for openvpn instance 'work'; helper pid 1234");
  EXPECT_TRUE(c.starts_with(seal_comment_prefix("work")));
  EXPECT_FALSE(c.starts_with(seal_comment_prefix("wor")));
  EXPECT_EQ(seal_owner_pid(c), 1234);
  for (const char* bad :
       {"", "vpnns seal", "x; helper pid ", "x; helper pid 12a", "x; helper pid -3",
        "x; helper pid 0", "x; helper pid 99999999999999999999"}) {
    EXPECT_EQ(seal_owner_pid(bad), std::nullopt) << bad;
  }
}

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
