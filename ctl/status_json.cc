// `vpnnsctl status --json`: the report as one document (schema in status_json.h).
#include "ctl/status_json.h"

#include <nlohmann/json.hpp>

namespace vpnns::ctl {
namespace {

Json addresses_json(const std::vector<StateAddress>& addrs) {
  Json out = Json::array();
  for (const auto& a : addrs) {
    Json j = Json::object();
    j["address"] = address_text(a);
    j["peer"] = a.peer ? Json(a.peer->str()) : Json();
    out.push_back(std::move(j));
  }
  return out;
}

Json routes_json(const std::vector<StateRoute>& routes) {
  Json out = Json::array();
  for (const auto& r : routes) {
    Json j = Json::object();
    j["dst"] = r.dst.str();
    j["gateway"] = r.gateway ? Json(r.gateway->str()) : Json();
    j["metric"] = r.metric;
    out.push_back(std::move(j));
  }
  return out;
}

Json ips_json(const std::vector<IpAddr>& ips) {
  Json out = Json::array();
  for (const auto& a : ips) out.push_back(a.str());
  return out;
}

Json strings_json(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

Json kernel_json(const KernelView& k) {
  Json out = Json::object();
  out["openvpn_uid"] = k.openvpn_uid ? Json(*k.openvpn_uid) : Json();
  if (k.netns) {
    Json n = Json::object();
    n["name"] = k.netns->name;
    n["exists"] = k.netns->exists;
    n["dev"] = k.netns->dev;
    n["ino"] = k.netns->ino;
    n["links"] = strings_json(k.netns->links);
    if (k.netns->device) {
      Json d = Json::object();
      d["name"] = k.netns->device->name;
      d["ifindex"] = k.netns->device->ifindex;
      d["up"] = k.netns->device->up;
      d["mtu"] = k.netns->device->mtu;
      n["device"] = std::move(d);
    } else {
      n["device"] = nullptr;
    }
    n["addresses"] = addresses_json(k.netns->addresses);
    n["routes"] = routes_json(k.netns->routes);
    out["netns"] = std::move(n);
  } else {
    out["netns"] = nullptr;
  }
  if (k.dns) {
    Json d = Json::object();
    d["path"] = k.dns->path;
    d["exists"] = k.dns->exists;
    d["written_by_vpnns"] = k.dns->written_by_vpnns;
    d["servers"] = ips_json(k.dns->servers);
    d["search"] = strings_json(k.dns->search);
    out["dns"] = std::move(d);
  } else {
    out["dns"] = nullptr;
  }
  if (k.dns_pin) {
    Json p = Json::object();
    p["family"] = "inet";
    p["table"] = k.dns_pin->table;
    p["exists"] = k.dns_pin->exists;
    p["owner_pid"] =
        k.dns_pin->owner_pid ? Json(static_cast<std::int64_t>(*k.dns_pin->owner_pid)) : Json();
    p["servers"] = ips_json(k.dns_pin->servers);
    p["dropped_packets"] = k.dns_pin->dropped_packets;
    out["dns_pin"] = std::move(p);
  } else {
    out["dns_pin"] = nullptr;
  }
  if (k.seal) {
    Json s = Json::object();
    s["family"] = "inet";
    s["table"] = k.seal->table;
    s["namespace"] = k.seal->where;
    s["exists"] = k.seal->exists;
    s["owner_pid"] =
        k.seal->owner_pid ? Json(static_cast<std::int64_t>(*k.seal->owner_pid)) : Json();
    s["servers"] = ips_json(k.seal->servers);
    if (k.seal->uids) {
      Json uids = Json::array();
      for (std::uint32_t u : *k.seal->uids) uids.push_back(u);
      s["uids"] = std::move(uids);
    } else {
      s["uids"] = nullptr;
    }
    s["dropped_packets"] = k.seal->dropped_packets;
    out["seal"] = std::move(s);
  } else {
    out["seal"] = nullptr;
  }
  if (k.client_sets) {
    Json sets = Json::array();
    for (const auto& s : *k.client_sets) {
      Json j = Json::object();
      j["set"] = s.set.str();
      j["exists"] = s.exists;
      j["members"] = s.members;
      sets.push_back(std::move(j));
    }
    out["client_sets"] = std::move(sets);
  } else {
    out["client_sets"] = nullptr;
  }
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
