#include "ctl/status_report.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

namespace vpnns::ctl {
namespace {

template <typename T, typename F>
std::string join(const std::vector<T>& items, F text, const char* sep = ", ") {
  std::string out;
  for (const T& i : items) {
    if (!out.empty()) out += sep;
    out += text(i);
  }
  return out;
}

// The length of the valid UTF-8 sequence that starts at text[pos] (a byte >= 0x80), or 0 if
// none does (overlong forms, surrogates and values past U+10FFFF are not UTF-8).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  unsigned cp = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0fu;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (pos + n > text.size()) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
}

std::string ip_text(const IpAddr& a) { return a.str(); }

std::string addr_text(const StateAddress& a) {
  return address_text(a) + (a.peer ? " peer " + a.peer->str() : "");
}

std::string route_text(const StateRoute& r) {
  std::string out = r.dst.str();
  if (r.gateway) out += " via " + r.gateway->str();
  // The kernel's defaults (0 for IPv4, 1024 for IPv6) go unsaid.
  const std::uint32_t usual = r.dst.family() == Family::kV4 ? 0 : 1024;
  if (r.metric != usual) out += " metric " + std::to_string(r.metric);
  return out;
}

std::string or_none(const std::string& s) { return s.empty() ? "none" : s; }

// Sort keys, so that lists compare as sets of members.
std::string sort_key(const StateAddress& a) { return addr_text(a); }
std::string sort_key(const StateRoute& r) { return route_text(r) + "/" + std::to_string(r.metric); }
std::string sort_key(const IpAddr& a) { return a.str(); }
std::string sort_key(std::uint32_t v) { return std::to_string(v + 10'000'000'000ULL); }

// The same members, whatever the order.
template <typename T>
bool same_members(std::vector<T> a, std::vector<T> b) {
  auto less = [](const T& x, const T& y) { return sort_key(x) < sort_key(y); };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  return a == b;
}

void compare_netns(const StateNetns& want, const KernelNetns& have,
                   std::vector<std::string>& problems) {
  const std::string ns = "network namespace '" + want.name + "'";
  if (!have.exists) {
    problems.push_back("state file: " + ns + "; kernel: /run/netns/" + want.name +
                       " does not exist");
    return;
  }
  if (have.dev != want.dev || have.ino != want.ino) {
    problems.push_back("state file: " + ns + " is " + std::to_string(want.dev) + ":" +
                       std::to_string(want.ino) + "; kernel: /run/netns/" + want.name + " is " +
                       std::to_string(have.dev) + ":" + std::to_string(have.ino) +
                       " (a different namespace)");
    return;
  }
  if (want.tunnel_up && want.device) {
    const StateDevice& dev = *want.device;
    if (!have.device) {
      problems.push_back("state file: " + dev.name + " up in " + ns + "; kernel: no device " +
                         dev.name + " there");
      return;
    }
    if (dev.ifindex && *dev.ifindex != have.device->ifindex) {
      problems.push_back(
          "state file: " + dev.name + " has ifindex " + std::to_string(*dev.ifindex) +
          "; kernel: " + std::to_string(have.device->ifindex) + " (a different device)");
    }
    if (!have.device->up) {
      problems.push_back("state file: " + dev.name + " up; kernel: " + dev.name + " is down");
    }
    if (!same_members(want.addresses, have.addresses)) {
      problems.push_back("state file: addresses " + or_none(join(want.addresses, addr_text)) +
                         " on " + dev.name +
                         "; kernel: " + or_none(join(have.addresses, addr_text)));
    }
  }
  if (!same_members(want.routes, have.routes)) {
    problems.push_back("state file: routes " + or_none(join(want.routes, route_text)) + " in " +
                       ns + "; kernel (proto vpnns): " + or_none(join(have.routes, route_text)));
  }
}

// A table vpnns made says in its comment which helper made it; another owner is a problem.
template <typename KernelTable>
void compare_owner(const std::string& table, const InstanceState& state, const KernelTable& have,
                   std::vector<std::string>& problems) {
  if (have.owner_pid == state.helper_pid) return;
  problems.push_back("state file: " + table + " belongs to helper pid " +
                     std::to_string(state.helper_pid) + "; kernel: its comment says " +
                     (have.comment.empty() ? "nothing" : "\"" + have.comment + "\""));
}

void compare_dns_pin(const InstanceState& state, const KernelDnsPin& have,
                     std::vector<std::string>& problems) {
  const StateDnsPin& want = *state.netns->dns_pin;
  const std::string table =
      "table inet " + have.table + " in network namespace '" + state.netns->name + "'";
  if (!want.active) {
    if (have.exists && have.owner_pid == state.helper_pid) {
      problems.push_back("state file: DNS pin inactive; kernel: " + table + " still exists");
    }
    return;
  }
  if (!have.exists) {
    problems.push_back("state file: DNS pinned to " + or_none(join(want.servers, ip_text)) +
                       "; kernel: no " + table + " (NOT pinned)");
    return;
  }
  compare_owner(table, state, have, problems);
  if (!same_members(want.servers, have.servers)) {
    problems.push_back("state file: DNS pinned to " + or_none(join(want.servers, ip_text)) +
                       "; kernel: " + table + " allows " + or_none(join(have.servers, ip_text)));
  }
}

void compare_dns(const StateNetns& want, const KernelDns& have,
                 std::vector<std::string>& problems) {
  if (!want.dns) {
    if (have.exists && have.written_by_vpnns) {
      problems.push_back("state file: no DNS files; kernel side: " + have.path +
                         " written by vpnns is still there");
    }
    return;
  }
  if (!have.exists) {
    problems.push_back("state file: DNS servers " + or_none(join(want.dns->servers, ip_text)) +
                       "; " + have.path + " does not exist");
    return;
  }
  if (want.dns->servers != have.servers) {
    problems.push_back("state file: DNS servers " + or_none(join(want.dns->servers, ip_text)) +
                       "; " + have.path + ": " + or_none(join(have.servers, ip_text)));
  }
}

void compare_seal(const InstanceState& state, const KernelSeal& have,
                  std::vector<std::string>& problems) {
  const StateSeal& want = *state.seal;
  const std::string table = "table inet " + want.table;
  if (!want.active) {
    if (have.exists && have.owner_pid == state.helper_pid) {
      problems.push_back("state file: seal inactive; kernel: " + table + " still exists in " +
                         have.where);
    }
    return;
  }
  if (!have.exists) {
    problems.push_back("state file: seal on " + or_none(join(want.servers, ip_text)) +
                       "; kernel: no " + table + " in " + have.where + " (NOT sealed)");
    return;
  }
  compare_owner(table, state, have, problems);
  if (!same_members(want.servers, have.servers)) {
    problems.push_back("state file: sealed " + or_none(join(want.servers, ip_text)) +
                       "; kernel: " + table + " holds " + or_none(join(have.servers, ip_text)));
  }
  if (!want.mark) {
    const auto to_text = [](std::uint32_t u) { return std::to_string(u); };
    if (!have.uids) {
      problems.push_back("state file: the seal accepts uids " + join(want.uids, to_text) +
                         "; kernel: " + table + " has no uid set");
    } else if (!same_members(want.uids, *have.uids)) {
      problems.push_back("state file: the seal accepts uids " + join(want.uids, to_text) +
                         "; kernel: " + or_none(join(*have.uids, to_text)));
    }
  }
}

void compare_sets(const StateClientSets& want, const std::vector<KernelSet>& have,
                  std::vector<std::string>& problems) {
  for (const StateSet& s : want.sets) {
    auto k =
        std::find_if(have.begin(), have.end(), [&](const KernelSet& h) { return h.set == s.set; });
    if (k == have.end()) continue;
    if (!k->exists) {
      problems.push_back("state file: set " + s.set.str() + " with " + std::to_string(s.members) +
                         " members; kernel: no such set");
    } else if (k->members != s.members) {
      problems.push_back("state file: set " + s.set.str() + " has " + std::to_string(s.members) +
                         " members; kernel: " + std::to_string(k->members));
    }
  }
}

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

std::string when(std::int64_t at, std::int64_t now) {
  const time_t t = static_cast<time_t>(at);
  tm local{};
  char buf[64] = "?";
  if (::localtime_r(&t, &local) != nullptr) {
    (void)std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  }
  std::string out = buf;
  if (now >= at) out += " (" + std::to_string(now - at) + " s ago)";
  return out;
}

void line(std::string& out, const char* label, const std::string& text) {
  std::string l = "  ";
  l += label;
  l.append(l.size() < 15 ? 15 - l.size() : 1, ' ');
  out += l + printable(text) + "\n";
}

void instance_text(const InstanceReport& r, std::int64_t now, std::string& out) {
  std::string head = r.instance;
  if (r.state)
    head += " (" + std::string(r.state->role == Role::kServer ? "server" : "client") + ")";
  head += ": ";
  if (!r.state) {
    head += "UNREADABLE";
  } else if (r.stale()) {
    head += "STALE (its helper is gone)";
  } else {
    head += r.healthy() ? "healthy" : "UNHEALTHY";
  }
  out += printable(head) + "\n";
  if (!r.state) {
    line(out, "state file", r.path + ": " + r.state_error);
    for (const auto& p : r.problems) line(out, "!", p);
    return;
  }
  const InstanceState& s = *r.state;
  std::string procs = "helper pid " + std::to_string(s.helper_pid) +
                      (r.helper_running ? " running" : " GONE") + ", openvpn pid " +
                      std::to_string(s.openvpn_pid) + (r.openvpn_running ? " running" : " GONE");
  std::optional<std::uint32_t> uid = r.kernel ? r.kernel->openvpn_uid : s.openvpn_uid;
  if (uid) procs += " as uid " + std::to_string(*uid);
  line(out, "processes", procs);

  if (s.netns) {
    const StateNetns& n = *s.netns;
    std::string t = "'" + n.name + "'";
    if (n.device) {
      t += ", " + n.device->name + " " + (n.tunnel_up ? "up" : "down");
      if (n.device->ifindex) t += ", ifindex " + std::to_string(*n.device->ifindex);
      if (n.device->mtu) t += ", mtu " + std::to_string(*n.device->mtu);
    } else {
      t += ", no tunnel yet";
    }
    line(out, "namespace", t);
    line(out, "addresses", or_none(join(n.addresses, addr_text)));
    line(out, "routes", or_none(join(n.routes, route_text)));
    if (n.dns) {
      std::string d = or_none(join(n.dns->servers, ip_text));
      if (!n.dns->search.empty())
        d += "; search " + join(
                               n.dns->search, [](auto& x) { return x; }, " ");
      line(out, "dns", d);
    }
    if (n.dns_pin) {
      std::string p = n.dns_pin->active ? "on " + or_none(join(n.dns_pin->servers, ip_text)) +
                                              " (table inet " + kStateDnsPinTable + ")"
                                        : std::string("off");
      if (r.kernel && r.kernel->dns_pin && r.kernel->dns_pin->exists) {
        const std::uint64_t dropped = r.kernel->dns_pin->dropped_packets;
        p += "; " + std::to_string(dropped) + (dropped == 1 ? " packet" : " packets") + " dropped";
      }
      line(out, "dns pin", p);
    }
  }
  if (s.seal) {
    const StateSeal& seal = *s.seal;
    std::string t = seal.active ? "on " + or_none(join(seal.servers, ip_text)) : std::string("off");
    t += " (table inet " + seal.table + ", accepting ";
    t += seal.mark ? "mark " + std::to_string(*seal.mark)
                   : "uids " + join(seal.uids, [](std::uint32_t u) { return std::to_string(u); });
    t += ")";
    if (r.kernel && r.kernel->seal && r.kernel->seal->exists) {
      const std::uint64_t n = r.kernel->seal->dropped_packets;
      t += "; " + std::to_string(n) + (n == 1 ? " packet" : " packets") + " dropped";
    }
    line(out, "seal", t);
  }
  if (s.client_sets) {
    std::string t = std::to_string(s.client_sets->clients) + " clients: ";
    t += join(s.client_sets->sets,
              [](const StateSet& x) { return x.set.str() + " " + std::to_string(x.members); });
    if (s.client_sets->netns) t += " (in '" + *s.client_sets->netns + "')";
    line(out, "client sets", t);
  }
  if (s.last_event) {
    line(out, "last event",
         s.last_event->name + (s.last_event->ok ? " ok" : " FAILED") + ", " +
             when(s.last_event->at, now) +
             (s.last_event->message.empty() ? "" : ": " + s.last_event->message));
  } else {
    line(out, "started", when(s.started_at, now));
  }
  for (const auto& p : r.problems) line(out, "!", p);
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      out += '?';
      continue;
    }
    if (c < 0x80) {
      out += s[i];
      continue;
    }
    const std::size_t n = utf8_sequence_length(s, i);
    // Not UTF-8, or a C1 control (U+0080..U+009F: 0xc2 0x80..0x9f), which terminals may obey.
    if (n == 0 || (c == 0xc2 && static_cast<unsigned char>(s[i + 1]) <= 0x9f)) {
      out += '?';
      if (n != 0) i += n - 1;
      continue;
    }
    out.append(s.substr(i, n));
    i += n - 1;
  }
  return out;
}

bool StatusReport::healthy() const {
  return std::all_of(instances.begin(), instances.end(),
                     [](const InstanceReport& r) { return r.healthy(); });
}

void evaluate(InstanceReport& r) {
  r.problems.clear();
  if (!r.state) {
    r.problems.push_back("state file " + r.path + ": " + r.state_error);
    return;
  }
  const InstanceState& s = *r.state;
  if (!r.helper_running) {
    r.problems.push_back("stale: helper pid " + std::to_string(s.helper_pid) +
                         " is gone and left this state file and what it set up; "
                         "`vpnnsctl reset " +
                         s.instance + "` cleans up");
  }
  if (!r.openvpn_running) {
    r.problems.push_back("openvpn pid " + std::to_string(s.openvpn_pid) + " is gone");
  }
  if (!r.kernel) return;
  const KernelView& k = *r.kernel;
  for (const auto& e : k.errors) r.problems.push_back("kernel state not read: " + e);
  if (s.netns && k.netns) compare_netns(*s.netns, *k.netns, r.problems);
  if (s.netns && k.dns) compare_dns(*s.netns, *k.dns, r.problems);
  if (s.netns && s.netns->dns_pin && k.dns_pin) compare_dns_pin(s, *k.dns_pin, r.problems);
  if (s.seal && k.seal) compare_seal(s, *k.seal, r.problems);
  if (s.client_sets && k.client_sets) compare_sets(*s.client_sets, *k.client_sets, r.problems);
}

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

std::string report_text(const StatusReport& report, std::int64_t now) {
  std::string out;
  if (report.instances.empty()) return "no vpnns instances are running\n";
  for (std::size_t i = 0; i < report.instances.size(); ++i) {
    if (i > 0) out += "\n";
    instance_text(report.instances[i], now, out);
  }
  if (!report.kernel_read) {
    out += "\n(from the state files only: reading the kernel's state needs root)\n";
  }
  return out;
}

}  // namespace vpnns::ctl
