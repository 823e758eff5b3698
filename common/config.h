// SPDX-License-Identifier: GPL-2.0-or-later
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

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/ip.h"

namespace vpnns {

// dns=no: nothing. dns=yes: the namespace's resolv.conf and nsswitch.conf. dns=pin: those files,
// and an nftables table in the namespace that lets DNS reach only the pushed servers.
enum class DnsMode { kNo, kYes, kPin };

// killswitch=no|yes|lockdown (helper/killswitch.h): nothing leaves openvpn's namespace outside
// the tunnel. yes: lifted at openvpn's clean exit; lockdown: held after it too.
enum class KillSwitchMode { kNo, kYes, kLockdown };

// Whether this openvpn is a client (connects to a VPN server) or a server (accepts clients).
enum class Role { kClient, kServer };

// An nftables set named by the administrator: FAMILY/TABLE/SET, e.g. inet/filter/vpn_clients.
struct SetRef {
  std::string family;  // ip, ip6 or inet
  std::string table;
  std::string set;

  [[nodiscard]] std::string str() const { return family + "/" + table + "/" + set; }
  friend bool operator==(const SetRef&, const SetRef&) = default;
  friend auto operator<=>(const SetRef&, const SetRef&) = default;
};

// Parses "FAMILY/TABLE/SET[,FAMILY/TABLE/SET...]"; the problem, if any, in `problem`.
std::vector<SetRef> parse_set_list(std::string_view text, std::string& problem);

// One way out for openvpn's sockets before the server's address is known: PROTO/PORT.
struct RemotePort {
  bool tcp = false;  // udp otherwise
  std::uint16_t port = 0;

  [[nodiscard]] std::string str() const { return (tcp ? "tcp/" : "udp/") + std::to_string(port); }
  friend bool operator==(const RemotePort&, const RemotePort&) = default;
  friend auto operator<=>(const RemotePort&, const RemotePort&) = default;
};

// Parses "PROTO/PORT[,PROTO/PORT...]" (PROTO udp or tcp); the problem, if any, in `problem`.
std::vector<RemotePort> parse_port_list(std::string_view text, std::string& problem);

struct Config {
  // netns=NAME: move the tunnel into this namespace. Empty: netns mode is off.
  std::string netns;
  // dns=yes|no|pin: write /etc/netns/NAME/{resolv,nsswitch}.conf (pin: and pin DNS to the pushed
  // servers with nftables inside the namespace). Default yes with netns.
  DnsMode dns = DnsMode::kNo;
  // helper=PATH: the helper executable.
  std::string helper;
  // seal=yes|no: only openvpn's sockets may reach the VPN server. Default yes without netns.
  bool seal = false;
  // seal-mark=N: accept sockets with this mark (openvpn's `mark N`) instead of owner uids.
  std::optional<std::uint32_t> seal_mark;
  // seal-user=NAME|UID: openvpn's `user`, accepted as socket owner from the start.
  std::string seal_user;
  // instance=NAME: names this openvpn's nftables table (vpnns-NAME). Default: the openvpn
  // configuration file's name.
  std::string instance;
  // client-set=FAMILY/TABLE/SET,...: every connected client's VPN addresses (server side).
  std::vector<SetRef> client_sets;
  // client-classes=PATH: "PATTERN SET[,SET...]" lines, read by the helper at start-up.
  std::string client_classes;
  // client-max-entries=N: addresses and iroute subnets one client may have in the sets.
  std::uint32_t client_max_entries = 8;
  // client-pool=PREFIX,...: the server's own client address pools, beside the subnets its UP
  // reports (the plugin adds openvpn's `server`/`server-ipv6`). VPN addresses only from these.
  std::vector<Prefix> client_pool;
  // client-iroutes=PREFIX,...: iroute subnets (and addresses) allowed beyond the pools.
  std::vector<Prefix> client_iroutes;
  // client-max=N: clients the helper tracks at once. 0: openvpn's max-clients (the plugin reads
  // it), else openvpn's default, 1024.
  std::uint32_t client_max = 0;
  // client-set-shared=yes: other instances may hold the same members in the same sets.
  bool client_set_shared = false;
  // role=client|server. Default: server when client sets are kept or openvpn's configuration
  // has no `remote`; client otherwise. A client's namespace must hold nothing but the tunnel and
  // gets default routes and DNS; a server's is a gateway's, which the administrator furnishes.
  Role role = Role::kClient;
  // killswitch=no|yes|lockdown and allow-lan=no|yes (private and link-local destinations pass).
  KillSwitchMode killswitch = KillSwitchMode::kNo;
  bool allow_lan = false;
  // killswitch-ports=PROTO/PORT,...: where openvpn's own sockets may send before (and between)
  // the server addresses IPCHANGE reports. Default: the ports of openvpn's `remote` lines.
  std::vector<RemotePort> killswitch_ports;

  [[nodiscard]] bool netns_mode() const { return !netns.empty(); }
  // An OpenVPN server keeping client sets (as opposed to a client).
  [[nodiscard]] bool server_mode() const { return !client_sets.empty() || !client_classes.empty(); }
  [[nodiscard]] std::string seal_table() const { return "vpnns-" + instance; }
  [[nodiscard]] bool killswitch_on() const { return killswitch != KillSwitchMode::kNo; }
  [[nodiscard]] std::string killswitch_table() const { return "vpnns-ks-" + instance; }

  // Canonical key=value words, every key spelled out; parse_config(to_args()) == *this.
  [[nodiscard]] std::vector<std::string> to_args() const;

  friend bool operator==(const Config&, const Config&) = default;
};

// Values that come from outside the plugin line.
struct ConfigDefaults {
  std::string helper;         // the installed helper path
  std::string instance;       // from openvpn's `config` (see instance_from_config_path)
  Role role = Role::kClient;  // kServer when openvpn's configuration has no `remote`
  std::vector<RemotePort> remote_ports = {};  // openvpn's `remote` lines' protocols and ports
};

// Parses the plugin arguments (argv[1..] of the plugin line).
Result<Config> parse_config(const std::vector<std::string>& words, const ConfigDefaults& defaults);

// An instance name from openvpn's configuration file path: the file name without its
// extension, reduced to [A-Za-z0-9_.-] and 32 characters; "openvpn" if nothing is left.
std::string instance_from_config_path(std::string_view path);

}  // namespace vpnns
