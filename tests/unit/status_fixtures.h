// SPDX-License-Identifier: GPL-2.0-or-later
// Made-up instances for the status tests: a client's state file, the kernel view that agrees
// with it, and a report evaluated from the two.
#pragma once

#include <optional>
#include <string>

#include "ctl/status_report.h"

namespace vpnns::ctl::test {

inline IpAddr ip(const char* t) { return *IpAddr::parse(t); }
inline Prefix prefix(const char* t) { return *Prefix::parse(t); }

inline InstanceState client_state() {
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
inline KernelView matching_kernel() {
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

inline InstanceReport report_of(InstanceState s, std::optional<KernelView> k, bool helper = true) {
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

inline std::string all(const InstanceReport& r) {
  std::string out;
  for (const auto& p : r.problems) out += p + "\n";
  return out;
}

}  // namespace vpnns::ctl::test
