// SPDX-License-Identifier: GPL-2.0-or-later
// `vpnnsctl status --json`: the report as one document (schema in status_json.h).
#include "ctl/status_json.h"

#include <nlohmann/json.hpp>

namespace vpnns::ctl {
namespace {

Json strings_json(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

// The members "dns_pin" and "seal" share, in the schema's order ("namespace" only in "seal");
// the caller appends its own.
template <typename Table>
Json owned_table_json(const Table& t, const std::string* where) {
  Json j = Json::object();
  j["family"] = "inet";
  j["table"] = t.table;
  if (where != nullptr) j["namespace"] = *where;
  j["exists"] = t.exists;
  j["owner_pid"] = t.owner_pid ? Json(static_cast<std::int64_t>(*t.owner_pid)) : Json();
  j["servers"] = ips_json(t.servers);
  return j;
}

// A part of the kernel view as JSON, or null where the view has no such part.
template <typename T, typename ToJson>
Json or_null(const std::optional<T>& part, ToJson to_json) {
  return part ? to_json(*part) : Json();
}

Json link_json(const KernelLink& l) {
  return {{"name", l.name}, {"ifindex", l.ifindex}, {"up", l.up}, {"mtu", l.mtu}};
}

Json netns_json(const KernelNetns& netns) {
  return {{"name", netns.name},
          {"exists", netns.exists},
          {"dev", netns.dev},
          {"ino", netns.ino},
          {"links", strings_json(netns.links)},
          {"device", or_null(netns.device, link_json)},
          {"addresses", addresses_json(netns.addresses)},
          {"routes", routes_json(netns.routes)}};
}

Json dns_json(const KernelDns& dns) {
  return {{"path", dns.path},
          {"exists", dns.exists},
          {"written_by_vpnns", dns.written_by_vpnns},
          {"servers", ips_json(dns.servers)},
          {"search", strings_json(dns.search)}};
}

Json dns_pin_json(const KernelDnsPin& pin) {
  Json p = owned_table_json(pin, nullptr);
  p["dropped_packets"] = pin.dropped_packets;
  return p;
}

Json seal_json(const KernelSeal& seal) {
  Json s = owned_table_json(seal, &seal.where);
  s["uids"] = or_null(seal.uids, [](const std::vector<std::uint32_t>& uids) {
    Json j = Json::array();
    for (std::uint32_t u : uids) j.push_back(u);
    return j;
  });
  s["dropped_packets"] = seal.dropped_packets;
  return s;
}

Json client_sets_json(const std::vector<KernelSet>& sets) {
  Json out = Json::array();
  for (const auto& s : sets) {
    Json owners = Json::object();
    for (const auto& [owner, n] : s.owners) owners[owner] = n;  // "": not vpnns's
    out.push_back({{"set", s.set.str()},
                   {"exists", s.exists},
                   {"members", s.members},
                   {"total", s.total},
                   {"others", owners}});
  }
  return out;
}

Json kernel_json(const KernelView& k) {
  Json out = Json::object();
  out["openvpn_uid"] = k.openvpn_uid ? Json(*k.openvpn_uid) : Json();
  out["netns"] = or_null(k.netns, netns_json);
  out["dns"] = or_null(k.dns, dns_json);
  out["dns_pin"] = or_null(k.dns_pin, dns_pin_json);
  out["seal"] = or_null(k.seal, seal_json);
  out["client_sets"] = or_null(k.client_sets, client_sets_json);
  out["errors"] = strings_json(k.errors);
  return out;
}

}  // namespace

Json report_json(const StatusReport& report) {
  Json out = Json::object();
  out["vpnnsctl_status"] = kStatusVersion;
  out["kernel_read"] = report.kernel_read;
  out["healthy"] = report.healthy();
  Json instances = Json::array();
  for (const InstanceReport& r : report.instances) {
    Json i = Json::object();
    i["instance"] = r.instance;
    i["state_file"] = r.path;
    i["healthy"] = r.healthy();
    i["stale"] = r.stale();
    i["problems"] = strings_json(r.problems);
    Json helper = Json::object();
    helper["pid"] = r.state ? Json(static_cast<std::int64_t>(r.state->helper_pid)) : Json();
    helper["running"] = r.helper_running;
    i["helper"] = std::move(helper);
    Json openvpn = Json::object();
    openvpn["pid"] = r.state ? Json(static_cast<std::int64_t>(r.state->openvpn_pid)) : Json();
    openvpn["running"] = r.openvpn_running;
    i["openvpn"] = std::move(openvpn);
    i["state"] = r.state ? state_to_json(*r.state) : Json();
    i["kernel"] = r.kernel ? kernel_json(*r.kernel) : Json();
    instances.push_back(std::move(i));
  }
  out["instances"] = std::move(instances);
  return out;
}

}  // namespace vpnns::ctl
