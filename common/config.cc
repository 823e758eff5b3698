// Table-driven: each key has one parser that either stores its value or explains what it
// accepts. Defaults that depend on other keys (dns follows netns) are resolved after all words
// are read, so the order of words never matters.
#include "common/config.h"

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
};

// Returns the problem with the value, or empty if it was stored.
using KeyParser = std::function<std::string(std::string_view value, Given& given)>;

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
         auto yes = parse_yes_no(v);
         if (!yes) return "accepted values are 'yes' and 'no'";
         g.dns = *yes ? DnsMode::kYes : DnsMode::kNo;
         return {};
       }},
      {"helper",
       [](std::string_view v, Given& g) -> std::string {
         if (v.empty() || v.front() != '/') return "PATH must be absolute";
         if (v.size() > 4095) return "PATH is longer than 4095 characters";
         for (char c : v) {
           if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
             return "PATH contains a control character";
           }
         }
         g.helper = std::string(v);
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

}  // namespace

std::vector<std::string> Config::to_args() const {
  std::vector<std::string> out;
  if (!netns.empty()) out.push_back("netns=" + netns);
  out.push_back(std::string("dns=") + (dns == DnsMode::kYes ? "yes" : "no"));
  out.push_back("helper=" + helper);
  return out;
}

Result<Config> parse_config(const std::vector<std::string>& words,
                            std::string_view default_helper) {
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
  config.helper = given.helper.value_or(std::string(default_helper));
  config.dns = given.dns.value_or(config.netns_mode() ? DnsMode::kYes : DnsMode::kNo);

  if (problems.empty() && config.dns == DnsMode::kYes && !config.netns_mode()) {
    problems.push_back("argument '" + first_seen["dns"] +
                       "': DNS files are written only for a namespace; add netns=NAME");
  }
  if (problems.empty() && !config.netns_mode()) {
    problems.push_back("no mode given: add netns=NAME to move the tunnel into a namespace");
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
