// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/state.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "common/names.h"

namespace vpnns {
namespace {

Json ip_or_null(const std::optional<IpAddr>& a) { return a ? Json(a->str()) : Json(); }

template <typename T>
Json int_or_null(const std::optional<T>& v) {
  return v ? Json(static_cast<std::int64_t>(*v)) : Json();
}

Json to_json(const StateNetns& n) {
  Json out = Json::object();
  out["name"] = n.name;
  out["created"] = n.created;
  out["dev"] = n.dev;
  out["ino"] = n.ino;
  out["tunnel"] = n.tunnel_up ? "up" : "down";
  out["device"] = nullptr;  // replaced below, in place
  if (n.device) {
    Json d = Json::object();
    d["name"] = n.device->name;
    d["ifindex"] = int_or_null(n.device->ifindex);
    d["mtu"] = int_or_null(n.device->mtu);
    out["device"] = std::move(d);
  }
  out["addresses"] = addresses_json(n.addresses);
  out["routes"] = routes_json(n.routes);
  out["dns"] = nullptr;  // replaced below, in place
  if (n.dns) {
    Json dns = Json::object();
    dns["servers"] = ips_json(n.dns->servers);
    dns["search"] = n.dns->search;
    out["dns"] = std::move(dns);
  }
  out["dns_pin"] = nullptr;  // replaced below, in place
  if (n.dns_pin) {
    Json pin = Json::object();
    pin["table"] = kStateDnsPinTable;
    pin["active"] = n.dns_pin->active;
    pin["servers"] = ips_json(n.dns_pin->servers);
    out["dns_pin"] = std::move(pin);
  }
  return out;
}

Json to_json(const StateSeal& s) {
  Json out = Json::object();
  out["family"] = "inet";
  out["table"] = s.table;
  out["active"] = s.active;
  out["servers"] = ips_json(s.servers);
  Json accept = Json::object();
  if (s.mark) {
    accept["mark"] = *s.mark;
  } else {
    Json uids = Json::array();
    for (std::uint32_t u : s.uids) uids.push_back(u);
    accept["uids"] = std::move(uids);
  }
  out["accept"] = std::move(accept);
  return out;
}

Json to_json(const StateClientSets& c) {
  Json out = Json::object();
  out["netns"] = c.netns ? Json(*c.netns) : Json();
  out["clients"] = c.clients;
  Json sets = Json::array();
  for (const auto& s : c.sets) {
    sets.push_back({{"set", s.set.str()}, {"members", s.members}, {"interval", s.interval}});
  }
  out["sets"] = std::move(sets);
  return out;
}

// Reads members of one object, collecting the first problem with the path that has it
// ("netns.device.ifindex: expected an integer").
class Reader {
 public:
  Reader(const Json* obj, std::string path, std::string* problem)
      : obj_(obj), path_(std::move(path)), problem_(problem) {
    if (obj_ == nullptr || !obj_->is_object()) note("", "expected an object");
  }

  [[nodiscard]] bool ok() const { return problem_->empty(); }
  [[nodiscard]] bool has(const char* key) const { return ok() && json_find(*obj_, key); }

  const Json* member(const char* key, bool nullable = false) {
    if (!ok()) return nullptr;
    const Json* v = json_find(*obj_, key);
    if (v == nullptr) {
      note(key, "missing");
      return nullptr;
    }
    if (v->is_null() && !nullable) {
      note(key, "must not be null");
      return nullptr;
    }
    return v->is_null() ? nullptr : v;
  }

  std::int64_t integer(const char* key, std::int64_t min, std::int64_t max) {
    const Json* v = member(key);
    return v ? check_int(*v, key, min, max) : 0;
  }
  template <typename T>
  std::optional<T> optional_integer(const char* key, std::int64_t min, std::int64_t max) {
    const Json* v = member(key, true);
    if (v == nullptr) return std::nullopt;
    return static_cast<T>(check_int(*v, key, min, max));
  }
  bool boolean(const char* key) {
    const Json* v = member(key);
    if (v == nullptr) return false;
    if (v->is_boolean()) return v->get<bool>();
    note(key, "expected true or false");
    return false;
  }
  std::string string(const char* key) { return text(member(key), key); }
  std::optional<std::string> optional_string(const char* key) {
    const Json* v = member(key, true);
    if (v == nullptr) return std::nullopt;
    return text(v, key);
  }
  std::optional<IpAddr> optional_ip(const char* key) {
    auto s = optional_string(key);
    if (!s) return std::nullopt;
    return ip(*s, key);
  }
  IpAddr ip(const std::string& text, const std::string& key) {
    auto a = IpAddr::parse(text);
    if (!a) {
      note(key, "not an IP address: " + json_quote(text));
      return {};
    }
    return *a;
  }
  // An array of address strings ("servers": ["192.0.2.1", ...]).
  std::vector<IpAddr> ips(const char* key) {
    std::vector<IpAddr> out;
    for (const Json& a : array(key)) {
      if (!a.is_string()) {
        note(key, "expected strings");
        break;
      }
      out.push_back(ip(a.get<std::string>(), key));
    }
    return out;
  }
  const Json& array(const char* key) {
    static const Json kEmpty = Json::array();
    const Json* v = member(key);
    if (v == nullptr) return kEmpty;
    if (!v->is_array()) {
      note(key, "expected an array");
      return kEmpty;
    }
    return *v;
  }
  // Calls take(item, prefix) for each object of array `key`, whose member `prefix_key` is an
  // ADDRESS/LENGTH; stops at the first problem.
  template <typename Take>
  void each_prefixed(const char* key, const char* prefix_key, Take&& take) {
    const Json& items = array(key);
    for (std::size_t i = 0; i < items.size() && ok(); ++i) {
      Reader a = item(items[i], key, i);
      const auto p = Prefix::parse(a.string(prefix_key));
      if (a.ok() && !p) a.note(prefix_key, "not ADDRESS/LENGTH");
      if (!a.ok()) break;
      take(a, *p);
    }
  }
  // A child reader for an object member (nullable: nullptr when null).
  std::optional<Reader> child(const char* key, bool nullable) {
    const Json* v = member(key, nullable);
    if (v == nullptr) return std::nullopt;
    return Reader(v, path_ + key + ".", problem_);
  }
  Reader item(const Json& v, const char* key, std::size_t i) {
    return Reader(&v, path_ + key + "[" + std::to_string(i) + "].", problem_);
  }

  void note(const std::string& key, const std::string& what) {
    if (!problem_->empty()) return;
    std::string where = path_ + key;
    if (where.ends_with('.')) where.pop_back();
    *problem_ = where.empty() ? what : where + ": " + what;
  }

 private:
  std::int64_t check_int(const Json& v, const char* key, std::int64_t min, std::int64_t max) {
    if (!v.is_number_integer()) {
      note(key, "expected an integer");
      return 0;
    }
    const auto i = v.get<std::int64_t>();
    if (i < min || i > max) {
      note(key, "out of range: " + std::to_string(i));
      return 0;
    }
    return i;
  }
  std::string text(const Json* v, const char* key) {
    if (v == nullptr) return {};
    if (v->is_string()) return v->get<std::string>();
    note(key, "expected a string");
    return {};
  }

  const Json* obj_;
  std::string path_;
  std::string* problem_;
};

constexpr std::int64_t kU32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kI64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kPidMax = 1 << 22;  // PID_MAX_LIMIT on 64-bit Linux

std::optional<StateNetns> read_netns(Reader& top) {
  auto r = top.child("netns", true);
  if (!r) return std::nullopt;
  StateNetns n;
  n.name = r->string("name");
  if (r->ok() && !is_valid_netns_name(n.name)) r->note("name", "not a namespace name");
  n.created = r->boolean("created");
  n.dev = static_cast<std::uint64_t>(r->integer("dev", 0, kI64));
  n.ino = static_cast<std::uint64_t>(r->integer("ino", 0, kI64));
  const std::string tunnel = r->string("tunnel");
  if (r->ok() && tunnel != "up" && tunnel != "down") r->note("tunnel", "expected up or down");
  n.tunnel_up = tunnel == "up";
  if (auto d = r->child("device", true)) {
    StateDevice dev;
    dev.name = d->string("name");
    if (d->ok() && !is_valid_ifname(dev.name)) d->note("name", "not an interface name");
    dev.ifindex = d->optional_integer<int>("ifindex", 1, INT32_MAX);
    dev.mtu = d->optional_integer<std::uint32_t>("mtu", 0, kU32);
    n.device = dev;
  }
  r->each_prefixed("addresses", "address", [&](Reader& a, const Prefix& p) {
    n.addresses.push_back(StateAddress{p.addr, p.len, a.optional_ip("peer")});
  });
  r->each_prefixed("routes", "dst", [&](Reader& a, const Prefix& p) {
    StateRoute route{p, a.optional_ip("gateway"),
                     static_cast<std::uint32_t>(a.integer("metric", 0, kU32))};
    n.routes.push_back(route);
  });
  if (auto d = r->child("dns", true)) {
    DnsConfig dns;
    dns.servers = d->ips("servers");
    const Json& search = d->array("search");
    for (const Json& s : search) {
      if (!s.is_string() || !is_valid_dns_name(s.get<std::string>())) {
        d->note("search", "expected DNS names");
        break;
      }
      dns.search.push_back(s.get<std::string>());
    }
    n.dns = dns;
  }
  // Added after the first state files: absent reads as null.
  if (r->has("dns_pin")) {
    if (auto p = r->child("dns_pin", true)) {
      StateDnsPin pin;
      if (p->string("table") != kStateDnsPinTable && p->ok()) {
        p->note("table", std::string("expected ") + kStateDnsPinTable);
      }
      pin.active = p->boolean("active");
      pin.servers = p->ips("servers");
      n.dns_pin = pin;
    }
  }
  return n;
}

std::optional<StateSeal> read_seal(Reader& top) {
  auto r = top.child("seal", true);
  if (!r) return std::nullopt;
  StateSeal s;
  if (r->string("family") != "inet" && r->ok()) r->note("family", "expected inet");
  s.table = r->string("table");
  if (r->ok() && (!s.table.starts_with("vpnns-") || s.table.size() > 6 + 32)) {
    r->note("table", "not a vpnns table name: " + json_quote(s.table));
  }
  s.active = r->boolean("active");
  s.servers = r->ips("servers");
  if (auto accept = r->child("accept", false)) {
    // {"mark": N} or {"uids": [...]}.
    if (accept->has("mark")) {
      s.mark = static_cast<std::uint32_t>(accept->integer("mark", 0, kU32));
    } else {
      for (const Json& u : accept->array("uids")) {
        const std::int64_t uid = u.is_number_integer() ? u.get<std::int64_t>() : -1;
        if (uid < 0 || uid > kU32) {
          accept->note("uids", "expected uids");
          break;
        }
        s.uids.push_back(static_cast<std::uint32_t>(uid));
      }
    }
  }
  return s;
}

std::optional<StateClientSets> read_client_sets(Reader& top) {
  auto r = top.child("client_sets", true);
  if (!r) return std::nullopt;
  StateClientSets c;
  c.netns = r->optional_string("netns");
  if (r->ok() && c.netns && !is_valid_netns_name(*c.netns))
    r->note("netns", "not a namespace name");
  c.clients = static_cast<std::uint64_t>(r->integer("clients", 0, kI64));
  const Json& sets = r->array("sets");
  for (std::size_t i = 0; i < sets.size() && r->ok(); ++i) {
    Reader s = r->item(sets[i], "sets", i);
    std::string problem;
    const std::string text = s.string("set");
    auto refs = parse_set_list(text, problem);
    if (s.ok() && (refs.size() != 1 || !problem.empty())) s.note("set", "not FAMILY/TABLE/SET");
    const auto members = static_cast<std::uint64_t>(s.integer("members", 0, kI64));
    const bool interval = s.boolean("interval");
    if (!s.ok()) break;
    c.sets.push_back(StateSet{refs[0], members, interval});
  }
  return c;
}

}  // namespace

std::string address_text(const StateAddress& a) {
  return a.local.str() + "/" + std::to_string(a.prefix_len);
}

Json ips_json(const std::vector<IpAddr>& ips) {
  Json out = Json::array();
  for (const auto& a : ips) out.push_back(a.str());
  return out;
}

Json addresses_json(const std::vector<StateAddress>& addrs) {
  Json out = Json::array();
  for (const auto& a : addrs)
    out.push_back({{"address", address_text(a)}, {"peer", ip_or_null(a.peer)}});
  return out;
}

Json routes_json(const std::vector<StateRoute>& routes) {
  Json out = Json::array();
  for (const auto& r : routes) {
    out.push_back({{"dst", r.dst.str()}, {"gateway", ip_or_null(r.gateway)}, {"metric", r.metric}});
  }
  return out;
}

std::string state_file_path(const std::string& instance) {
  return std::string(kStateDir) + "/" + instance + ".json";
}

Json state_to_json(const InstanceState& s) {
  Json out = Json::object();
  out["vpnns_state"] = kStateVersion;
  out["instance"] = s.instance;
  out["role"] = s.role == Role::kServer ? "server" : "client";
  Json helper = Json::object();
  helper["pid"] = static_cast<std::int64_t>(s.helper_pid);
  helper["start_time"] = s.helper_start_time;
  out["helper"] = std::move(helper);
  Json openvpn = Json::object();
  openvpn["pid"] = static_cast<std::int64_t>(s.openvpn_pid);
  openvpn["uid"] = int_or_null(s.openvpn_uid);
  out["openvpn"] = std::move(openvpn);
  out["started_at"] = s.started_at;
  out["updated_at"] = s.updated_at;
  out["last_event"] = nullptr;  // replaced below, in place
  if (s.last_event) {
    Json e = Json::object();
    e["name"] = s.last_event->name;
    e["ok"] = s.last_event->ok;
    std::string message = s.last_event->message;
    if (message.size() > kStateMessageMax) message = message.substr(0, kStateMessageMax) + "...";
    e["message"] = std::move(message);
    e["at"] = s.last_event->at;
    out["last_event"] = std::move(e);
  }
  out["netns"] = s.netns ? to_json(*s.netns) : Json();
  out["seal"] = s.seal ? to_json(*s.seal) : Json();
  out["client_sets"] = s.client_sets ? to_json(*s.client_sets) : Json();
  if (s.killswitch) out["killswitch"] = killswitch_json(*s.killswitch);
  return out;
}

Result<InstanceState> state_from_json(const Json& json) {
  std::string problem;
  Reader r(&json, "", &problem);
  InstanceState s;
  const std::int64_t version = r.integer("vpnns_state", 0, kI64);
  if (r.ok() && version != kStateVersion) {
    return Error(Code::kFailedPrecondition,
                 "state file version " + std::to_string(version) + ", this vpnnsctl reads " +
                     std::to_string(kStateVersion) + " (a newer vpnns helper wrote it?)");
  }
  s.instance = r.string("instance");
  if (r.ok() && (s.instance.size() > 32 || !is_valid_netns_name(s.instance))) {
    r.note("instance", "not an instance name");
  }
  const std::string role = r.string("role");
  if (r.ok() && role != "client" && role != "server") r.note("role", "expected client or server");
  s.role = role == "server" ? Role::kServer : Role::kClient;
  if (auto h = r.child("helper", false)) {
    s.helper_pid = static_cast<pid_t>(h->integer("pid", 1, kPidMax));
    s.helper_start_time = static_cast<std::uint64_t>(h->integer("start_time", 0, kI64));
  }
  if (auto o = r.child("openvpn", false)) {
    s.openvpn_pid = static_cast<pid_t>(o->integer("pid", 1, kPidMax));
    s.openvpn_uid = o->optional_integer<std::uint32_t>("uid", 0, kU32);
  }
  s.started_at = r.integer("started_at", 0, kI64);
  s.updated_at = r.integer("updated_at", 0, kI64);
  if (auto e = r.child("last_event", true)) {
    StateEvent ev;
    ev.name = e->string("name");
    ev.ok = e->boolean("ok");
    ev.message = e->string("message");
    ev.at = e->integer("at", 0, kI64);
    s.last_event = ev;
  }
  s.netns = read_netns(r);
  s.seal = read_seal(r);
  s.client_sets = read_client_sets(r);
  if (auto k = r.has("killswitch") ? r.child("killswitch", true) : std::nullopt) {
    s.killswitch = StateKillSwitch{k->string("table"), k->string("mode"), k->boolean("allow_lan"),
                                   k->integer("since", 0, kI64), k->optional_string("tunnel")};
  }
  if (!problem.empty()) return Error(Code::kInvalidArgument, "state file: " + problem);
  return s;
}

}  // namespace vpnns
