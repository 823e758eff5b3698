// The plugin's configuration: the key=value words after the .so on openvpn's `plugin` line.
//
// This is the trusted input of vpnns. It is read while openvpn is still root and before any
// network input, and it alone decides *where* the helper may act (which namespace, which files,
// which helper binary). The plugin parses it, the helper receives the canonical form on its
// command line and parses it again with this same code; nothing sent later over the socket can
// change it.
//
// All problems are collected and reported together, each naming the argument as written and
// what is accepted, so one failed start tells the administrator everything.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace vpnns {

enum class DnsMode { kNo, kYes };

struct Config {
  // netns=NAME: move the tunnel into this namespace. Empty: netns mode is off.
  std::string netns;
  // dns=yes|no: write /etc/netns/NAME/{resolv,nsswitch}.conf. Default yes with netns.
  DnsMode dns = DnsMode::kNo;
  // helper=PATH: the helper executable.
  std::string helper;

  [[nodiscard]] bool netns_mode() const { return !netns.empty(); }

  // Canonical key=value words, every key spelled out; parse_config(to_args()) == *this.
  [[nodiscard]] std::vector<std::string> to_args() const;

  friend bool operator==(const Config&, const Config&) = default;
};

// Parses the plugin arguments (argv[1..] of the plugin line). `default_helper` is the
// installed helper path used when helper= is absent.
Result<Config> parse_config(const std::vector<std::string>& words, std::string_view default_helper);

}  // namespace vpnns
