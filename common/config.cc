// SPDX-License-Identifier: GPL-2.0-or-later
// Table-driven: each key has one parser that either stores its value or explains what it
// accepts. Defaults that depend on other keys (dns follows netns) are resolved after all words
// are read, so the order of words never matters.
#include "common/config.h"
#include "common/config_server.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include "common/names.h"

namespace vpnns {
namespace {

struct Given {
  std::optional<std::string> netns;
  std::optional<DnsMode> dns;
  std::optional<std::string> helper;
  std::optional<bool> seal;
  std::optional<std::uint32_t> seal_mark;
  std::optional<std::string> seal_user;
  std::optional<std::string> instance;
  std::optional<std::vector<SetRef>> client_sets;
  std::optional<std::string> client_classes;
  std::optional<std::uint32_t> client_max_entries;
  std::optional<std::vector<Prefix>> client_pool, client_iroutes;
  std::optional<std::uint32_t> client_max;
  std::optional<bool> client_set_shared;
  std::optional<Role> role;
  std::optional<KillSwitchMode> killswitch;
  std::optional<bool> allow_lan;
  std::optional<std::vector<RemotePort>> killswitch_ports;
};

bool is_nft_name(std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string check_path(std::string_view v) {
  if (v.empty() || v.front() != '/') return "PATH must be absolute";
  if (v.size() > 4095) return "PATH is longer than 4095 characters";
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "PATH contains a control character";
  }
  return {};
}

bool is_instance_name(std::string_view v) {
  if (v.empty() || v.size() > 32 || v == "." || v == "..") return false;
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::uint64_t> parse_decimal(std::string_view v) {
  if (v.empty() || v.size() > 10 || (v.size() > 1 && v[0] == '0')) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// Returns the problem with the value, or empty if it was stored.
using KeyParser = std::function<std::string(std::string_view value, Given& given)>;

// helper= and client-classes=: an absolute path, stored where `field` says.
std::optional<std::string>& helper_of(Given& g) { return g.helper; }
std::optional<std::string>& client_classes_of(Given& g) { return g.client_classes; }
KeyParser path_into(decltype(&helper_of) field) {
  return [field](std::string_view v, Given& g) -> std::string {
    if (std::string problem = check_path(v); !problem.empty()) return problem;
    field(g) = std::string(v);
    return {};
  };
}

// client-pool= and client-iroutes=: a list of prefixes, stored where `field` says.
std::optional<std::vector<Prefix>>& client_pool_of(Given& g) { return g.client_pool; }
std::optional<std::vector<Prefix>>& client_iroutes_of(Given& g) { return g.client_iroutes; }
KeyParser prefixes_into(decltype(&client_pool_of) field) {
  return [field](std::string_view v, Given& g) -> std::string {
    std::string problem;
    auto list = parse_prefix_list(v, problem);
    if (!problem.empty()) return problem;
    field(g) = std::move(list);
    return {};
  };
}

std::optional<bool> parse_yes_no(std::string_view v) {
  if (v == "yes") return true;
  if (v == "no") return false;
  return std::nullopt;
}

const std::map<std::string, KeyParser, std::less<>>& key_parsers() {
  static const std::map<std::string, KeyParser, std::less<>> parsers{
      {"netns",
       [](std::string_view v, Given& g) -> std::string {
         if (!is_valid_netns_name(v)) {
           return "NAME must be 1-64 characters of A-Z a-z 0-9 _ . - and not '.' or '..'";
         }
         g.netns = std::string(v);
         return {};
       }},
      {"dns",
       [](std::string_view v, Given& g) -> std::string {
         if (v == "pin") {
           g.dns = DnsMode::kPin;
           return {};
         }
         auto yes = parse_yes_no(v);
         if (!yes) return "accepted values are 'yes', 'no' and 'pin'";
         g.dns = *yes ? DnsMode::kYes : DnsMode::kNo;
         return {};
       }},
      {"seal",
       [](std::string_view v, Given& g) -> std::string {
         auto yes = parse_yes_no(v);
         if (!yes) return "accepted values are 'yes' and 'no'";
         g.seal = *yes;
         return {};
       }},
      {"seal-mark",
       [](std::string_view v, Given& g) -> std::string {
         // Decimal only, as openvpn's own `mark` (which silently reads "0x10" as 0).
         auto n = parse_decimal(v);
         if (!n || *n == 0 || *n > 0xffffffffu) {
           return "N must be a decimal number from 1 to 4294967295, the same as openvpn's "
                  "`mark N`";
         }
         g.seal_mark = static_cast<std::uint32_t>(*n);
         return {};
       }},
      {"seal-user",
       [](std::string_view v, Given& g) -> std::string {
         if (v.empty() || v.size() > 32) return "NAME must be a user name or a numeric uid";
         for (char c : v) {
           const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
           if (!ok) return "NAME must be a user name or a numeric uid";
         }
         g.seal_user = std::string(v);
         return {};
       }},
      {"instance",
       [](std::string_view v, Given& g) -> std::string {
         if (!is_instance_name(v)) return "NAME must be 1-32 characters of A-Z a-z 0-9 _ . -";
         g.instance = std::string(v);
         return {};
       }},
      {"helper", path_into(&helper_of)},
      {"role",
       [](std::string_view v, Given& g) -> std::string {
         if (v == "client") {
           g.role = Role::kClient;
         } else if (v == "server") {
           g.role = Role::kServer;
         } else {
           return "accepted values are 'client' and 'server'";
         }
         return {};
       }},
      {"client-set",
       [](std::string_view v, Given& g) -> std::string {
         std::string problem;
         auto sets = parse_set_list(v, problem);
         if (!problem.empty()) return problem;
         g.client_sets = std::move(sets);
         return {};
       }},
      {"client-classes", path_into(&client_classes_of)},
      {"killswitch",
       [](std::string_view v, Given& g) -> std::string {
         if (v == "lockdown") {
           g.killswitch = KillSwitchMode::kLockdown;
           return {};
         }
         auto yes = parse_yes_no(v);
         if (!yes) return "accepted values are 'no', 'yes' and 'lockdown'";
         g.killswitch = *yes ? KillSwitchMode::kYes : KillSwitchMode::kNo;
         return {};
       }},
      {"killswitch-ports",
       [](std::string_view v, Given& g) -> std::string {
         std::string problem;
         auto ports = parse_port_list(v, problem);
         if (!problem.empty()) return problem;
         g.killswitch_ports = std::move(ports);
         return {};
       }},
      {"allow-lan",
       [](std::string_view v, Given& g) -> std::string {
         auto yes = parse_yes_no(v);
         if (!yes) return "accepted values are 'yes' and 'no'";
         g.allow_lan = *yes;
         return {};
       }},
      {"client-max-entries",
       [](std::string_view v, Given& g) -> std::string {
         auto n = parse_decimal(v);
         if (!n || *n == 0 || *n > 1024) return "N must be a number from 1 to 1024";
         g.client_max_entries = static_cast<std::uint32_t>(*n);
         return {};
       }},
      {"client-pool", prefixes_into(&client_pool_of)},
      {"client-iroutes", prefixes_into(&client_iroutes_of)},
      {"client-max",
       [](std::string_view v, Given& g) -> std::string {
         auto n = parse_decimal(v);
         if (!n || *n == 0 || *n > 1000000) return "N must be a number from 1 to 1000000";
         g.client_max = static_cast<std::uint32_t>(*n);
         return {};
       }},
      {"client-set-shared",
       [](std::string_view v, Given& g) -> std::string {
         if (v != "yes" && v != "no") return "accepted values are 'yes' and 'no'";
         g.client_set_shared = v == "yes";
         return {};
       }},
  };
  return parsers;
}

std::string accepted_keys() {
  std::string out;
  for (const auto& [key, parser] : key_parsers()) {
    if (!out.empty()) out += ", ";
    out += key;
  }
  return out;
}

// killswitch= and allow-lan= against the rest (after the defaults are resolved).
void check_killswitch(const Config& config, const Given& given,
                      std::map<std::string, std::string, std::less<>>& first_seen,
                      std::vector<std::string>& problems) {
  if ((given.allow_lan || given.killswitch_ports) && !config.killswitch_on()) {
    problems.push_back("argument '" +
                       first_seen[given.allow_lan ? "allow-lan" : "killswitch-ports"] +
                       "': needs killswitch=yes or killswitch=lockdown (without a kill switch "
                       "nothing is blocked that it could allow)");
    return;
  }
  if (!config.killswitch_on()) return;
  if (config.role == Role::kServer) {
    problems.push_back("argument '" + first_seen["killswitch"] +
                       "': the kill switch guards a client's traffic; this is a server "
                       "(role=server, client-set or client-classes, or no `remote` in openvpn's "
                       "configuration)");
  } else if (!config.seal) {
    problems.push_back("argument '" + first_seen["killswitch"] +
                       "': needs the seal (it lets openvpn's own sockets reach the VPN server "
                       "the way the seal does); remove seal=no");
  }
}

}  // namespace

std::vector<SetRef> parse_set_list(std::string_view text, std::string& problem) {
  std::vector<SetRef> out;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const auto a = item.find('/');
    const auto b = a == std::string_view::npos ? a : item.find('/', a + 1);
    if (a == std::string_view::npos || b == std::string_view::npos ||
        item.find('/', b + 1) != std::string_view::npos) {
      problem = "'" + std::string(item) + "' is not FAMILY/TABLE/SET";
      return {};
    }
    SetRef ref{std::string(item.substr(0, a)), std::string(item.substr(a + 1, b - a - 1)),
               std::string(item.substr(b + 1))};
    if (ref.family != "ip" && ref.family != "ip6" && ref.family != "inet") {
      problem = "'" + std::string(item) + "': FAMILY must be ip, ip6 or inet";
      return {};
    }
    if (!is_nft_name(ref.table) || !is_nft_name(ref.set)) {
      problem =
          "'" + std::string(item) + "': TABLE and SET must be 1-64 characters of A-Z a-z 0-9 _ . -";
      return {};
    }
    if (std::find(out.begin(), out.end(), ref) != out.end()) {
      problem = "'" + std::string(item) + "' is given twice";
      return {};
    }
    out.push_back(std::move(ref));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (out.size() > 16) {
    problem = "more than 16 sets";
    return {};
  }
  return out;
}

std::vector<std::string> Config::to_args() const {
  std::vector<std::string> out;
  if (!netns.empty()) out.push_back("netns=" + netns);
  out.push_back(std::string("dns=") + (dns == DnsMode::kPin   ? "pin"
                                       : dns == DnsMode::kYes ? "yes"
                                                              : "no"));
  out.push_back("helper=" + helper);
  out.push_back(std::string("seal=") + (seal ? "yes" : "no"));
  if (seal_mark) out.push_back("seal-mark=" + std::to_string(*seal_mark));
  if (!seal_user.empty()) out.push_back("seal-user=" + seal_user);
  out.push_back("instance=" + instance);
  out.push_back(std::string("role=") + (role == Role::kServer ? "server" : "client"));
  if (!client_sets.empty()) {
    std::string sets;
    for (const auto& ref : client_sets) sets += (sets.empty() ? "" : ",") + ref.str();
    out.push_back("client-set=" + sets);
  }
  if (!client_classes.empty()) out.push_back("client-classes=" + client_classes);
  if (server_mode()) out.push_back("client-max-entries=" + std::to_string(client_max_entries));
  if (!client_pool.empty()) out.push_back("client-pool=" + prefix_list_str(client_pool));
  if (!client_iroutes.empty()) out.push_back("client-iroutes=" + prefix_list_str(client_iroutes));
  if (client_max != 0) out.push_back("client-max=" + std::to_string(client_max));
  if (client_set_shared) out.push_back("client-set-shared=yes");
  out.push_back(std::string("killswitch=") + (killswitch == KillSwitchMode::kLockdown ? "lockdown"
                                              : killswitch == KillSwitchMode::kYes    ? "yes"
                                                                                      : "no"));
  if (killswitch_on()) {
    out.push_back(std::string("allow-lan=") + (allow_lan ? "yes" : "no"));
    if (!killswitch_ports.empty()) {
      std::string ports;
      for (const auto& p : killswitch_ports) ports += (ports.empty() ? "" : ",") + p.str();
      out.push_back("killswitch-ports=" + ports);
    }
  }
  return out;
}

std::string instance_from_config_path(std::string_view path) {
  std::string_view name =
      path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  if (const auto dot = name.rfind('.'); dot != std::string_view::npos && dot > 0) {
    name = name.substr(0, dot);
  }
  std::string out;
  for (char c : name) {
    if (out.size() == 32) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    out += ok ? c : '_';
  }
  if (out.empty() || out == "." || out == "..") out = "openvpn";
  return out;
}

Result<Config> parse_config(const std::vector<std::string>& words, const ConfigDefaults& defaults) {
  std::vector<std::string> problems;
  std::map<std::string, std::string, std::less<>> first_seen;
  Given given;

  for (const std::string& word : words) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      problems.push_back("argument '" + word +
                         "': expected key=value; accepted keys: " + accepted_keys());
      continue;
    }
    const std::string key = word.substr(0, eq);
    const std::string_view value = std::string_view(word).substr(eq + 1);
    const auto parser = key_parsers().find(key);
    if (parser == key_parsers().end()) {
      problems.push_back("argument '" + word + "': unknown key '" + key +
                         "'; accepted keys: " + accepted_keys());
      continue;
    }
    if (auto seen = first_seen.find(key); seen != first_seen.end()) {
      problems.push_back("argument '" + word + "': duplicate key '" + key +
                         "' (already given as '" + seen->second + "')");
      continue;
    }
    first_seen.emplace(key, word);
    if (std::string problem = parser->second(value, given); !problem.empty()) {
      problems.push_back("argument '" + word + "': " + problem);
    }
  }

  Config config;
  config.netns = given.netns.value_or("");
  config.helper = given.helper.value_or(defaults.helper);
  config.client_sets = given.client_sets.value_or(std::vector<SetRef>{});
  config.client_classes = given.client_classes.value_or("");
  config.role = given.role.value_or(config.server_mode() ? Role::kServer : defaults.role);
  const bool client = config.role == Role::kClient;
  config.dns = given.dns.value_or(config.netns_mode() && client ? DnsMode::kYes : DnsMode::kNo);
  config.client_max_entries = given.client_max_entries.value_or(8);
  config.client_pool = given.client_pool.value_or(std::vector<Prefix>{});
  config.client_iroutes = given.client_iroutes.value_or(std::vector<Prefix>{});
  config.client_max = given.client_max.value_or(0);
  config.client_set_shared = given.client_set_shared.value_or(false);
  // A namespaced tunnel is sealed by construction; a client's tunnel in openvpn's own namespace
  // is not. A server has no single VPN server to seal.
  config.killswitch = given.killswitch.value_or(KillSwitchMode::kNo);
  config.allow_lan = given.allow_lan.value_or(false);
  if (config.killswitch_on()) {
    config.killswitch_ports = given.killswitch_ports.value_or(defaults.remote_ports);
  }
  // The kill switch lets openvpn's own sockets reach its server as the seal does, from the seal's
  // data (helper/killswitch.h): with netns= it brings the seal along, in openvpn's namespace.
  config.seal = given.seal.value_or((!config.netns_mode() || config.killswitch_on()) && client);
  config.seal_mark = given.seal_mark;
  config.seal_user = given.seal_user.value_or("");
  config.instance = given.instance.value_or(defaults.instance.empty() ? std::string("openvpn")
                                                                      : defaults.instance);

  if (problems.empty() && config.dns == DnsMode::kYes && !config.netns_mode()) {
    problems.push_back("argument '" + first_seen["dns"] +
                       "': DNS files are written only for a namespace; add netns=NAME");
  }
  if (problems.empty() && config.dns == DnsMode::kPin && !config.netns_mode()) {
    problems.push_back("argument '" + first_seen["dns"] +
                       "': the DNS pin is a firewall inside the tunnel's namespace (netns mode "
                       "only); add netns=NAME");
  }
  if (problems.empty() && !config.seal && (given.seal_mark || given.seal_user)) {
    problems.push_back("argument '" + first_seen[given.seal_mark ? "seal-mark" : "seal-user"] +
                       "': needs seal=yes");
  }
  if (problems.empty() && given.seal_mark && given.seal_user) {
    problems.push_back("argument '" + first_seen["seal-user"] +
                       "': seal-user and seal-mark exclude each other (a mark is matched "
                       "instead of socket owners)");
  }
  if (problems.empty() && config.server_mode() && given.role == Role::kClient) {
    problems.push_back("argument '" + first_seen["role"] +
                       "': client-set and client-classes are for an OpenVPN server");
  }
  if (problems.empty() && config.seal && config.role == Role::kServer) {
    problems.push_back("argument '" + first_seen["seal"] +
                       "': the seal protects a client's route to its VPN server; this is a "
                       "server (role=server, client-set or client-classes, or no `remote` in "
                       "openvpn's configuration)");
  }
  for (const char* key :
       {"client-max-entries", "client-pool", "client-iroutes", "client-max", "client-set-shared"}) {
    if (problems.empty() && first_seen.contains(key) && !config.server_mode()) {
      problems.push_back("argument '" + first_seen[key] + "': needs client-set or client-classes");
    }
  }
  if (problems.empty()) check_killswitch(config, given, first_seen, problems);
  if (problems.empty() && !config.netns_mode() && !config.seal && !config.server_mode()) {
    problems.push_back(
        "nothing to do: give netns=NAME, client-set=... (a server), or leave seal=yes (the "
        "default for a client without netns)");
  }

  if (!problems.empty()) {
    std::string joined;
    for (const auto& p : problems) {
      if (!joined.empty()) joined += "; ";
      joined += p;
    }
    return Error(Code::kInvalidArgument, joined);
  }
  return config;
}

}  // namespace vpnns
