// SPDX-License-Identifier: GPL-2.0-or-later
// The state file: what one vpnns helper is doing, for `vpnnsctl status` and `vpnnsctl reset`.
//
// The helper writes /run/vpnns/INSTANCE.json (directory 02755 root:vpnns, file 0640 root:vpnns;
// helper/state_file.h) at start-up
// and after every event, atomically (a temporary file in the same directory, then rename), and
// removes it at teardown (close, EOF, SIGTERM). A helper that was SIGKILLed leaves it behind: a
// state file whose helper is gone is stale, and says what to clean up (vpnnsctl reset).
//
// It holds only what the helper itself knows — its configuration and what it did — and no
// secrets, but the last event's message names a server's clients and their addresses: it is for
// root and group vpnns (the people who may use vpnnsctl exec, and so need to see the tunnels)
// to read, not for every local user. Kernel state
// (the seal's drop counter, what the namespace really holds) is not in it: vpnnsctl reads that
// from the kernel and says where the two disagree.
//
// Schema, version 1 (`"vpnns_state": 1`; times are seconds since the epoch, UTC; a member that
// does not apply is null). A new member may be added without a new version; a member removed or
// changed in meaning is a new version, which an older vpnnsctl refuses to read.
//
//   {
//     "vpnns_state": 1,
//     "instance": "work",                      instance= (names the seal's table)
//     "role": "client" | "server",
//     "helper": {"pid": 1234, "start_time": 98765},   start_time: /proc/PID/stat field 22
//     "openvpn": {"pid": 1200, "uid": 65534 | null},  uid: openvpn's `user` once the helper
//                                                     knows it (seal-user=, or seen by the seal)
//     "started_at": 1735689600, "updated_at": 1735689601,
//     "last_event": {"name": "ROUTE_UP", "ok": true, "message": "...", "at": 1735689601} | null,
//     "netns": null | {                        netns= mode
//       "name": "work", "created": true,       created: the helper created the namespace
//       "dev": 4, "ino": 4026532505,           st_dev, st_ino of /run/netns/NAME when opened
//       "tunnel": "up" | "down",
//       "device": null | {"name": "tun0", "ifindex": 3 | null, "mtu": 1500 | null},
//       "addresses": [{"address": "192.0.2.2/24", "peer": "192.0.2.1" | null}, ...],
//       "routes": [{"dst": "0.0.0.0/0", "gateway": "192.0.2.1" | null, "metric": 0}, ...],
//       "dns": null | {"servers": ["192.0.2.53"], "search": ["example.test"]},
//                                              dns: what /etc/netns/NAME/resolv.conf says
//       "dns_pin": null | {                    dns=pin (an absent member reads as null)
//         "table": "vpnns-dns", "active": true, "servers": ["192.0.2.53"]}
//     },
//     "seal": null | {                         seal=yes
//       "family": "inet", "table": "vpnns-work", "active": true,
//       "servers": ["198.51.100.1"],
//       "accept": {"uids": [0, 65534]} | {"mark": 42}
//     },
//     "killswitch": null | {                   killswitch=yes|lockdown (an absent member reads
//       "table": "vpnns-ks-work",              as null); the drop counters are the kernel's
//       "mode": "yes" | "lockdown", "allow_lan": false, "since": 1735689600,
//       "tunnel": "tun0" | null},
//     "client_sets": null | {                  a server's client-set= / client-classes=
//       "netns": "gw" | null,                  where the sets live (null: openvpn's namespace)
//       "clients": 3,
//       "sets": [{"set": "inet/fw/clients", "members": 3, "interval": false}, ...]
//     }
//   }
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/ip.h"
#include "helper_ipc/messages.h"
#include "state/json.h"

namespace vpnns {

inline constexpr const char* kStateDir = "/run/vpnns";
// The group that may read the state files (vpnns-execd's default group).
inline constexpr const char* kStateGroup = "vpnns";
inline constexpr std::int64_t kStateVersion = 1;
// The DNS pin's table (helper/dns_pin_nft.h kDnsPinTable; common/ cannot include helper/).
inline constexpr const char* kStateDnsPinTable = "vpnns-dns";

struct StateAddress {
  IpAddr local;
  std::uint8_t prefix_len = 0;
  std::optional<IpAddr> peer;
  friend bool operator==(const StateAddress&, const StateAddress&) = default;
};

struct StateRoute {
  Prefix dst{IpAddr(), 0};
  std::optional<IpAddr> gateway;
  std::uint32_t metric = 0;
  friend bool operator==(const StateRoute&, const StateRoute&) = default;
};

struct StateDevice {
  std::string name;
  std::optional<int> ifindex;        // while the tunnel is up
  std::optional<std::uint32_t> mtu;  // while the tunnel is up
  friend bool operator==(const StateDevice&, const StateDevice&) = default;
};

struct StateDnsPin {
  bool active = false;          // the table should exist now (after a ROUTE_UP)
  std::vector<IpAddr> servers;  // the servers DNS is pinned to
  friend bool operator==(const StateDnsPin&, const StateDnsPin&) = default;
};

struct StateNetns {
  std::string name;
  bool created = false;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  bool tunnel_up = false;
  std::optional<StateDevice> device;
  std::vector<StateAddress> addresses;
  std::vector<StateRoute> routes;
  std::optional<DnsConfig> dns;
  std::optional<StateDnsPin> dns_pin;  // dns=pin; the table is inet vpnns-dns in the namespace
  friend bool operator==(const StateNetns&, const StateNetns&) = default;
};

struct StateSeal {
  std::string table;  // in family inet
  bool active = false;
  std::vector<IpAddr> servers;
  std::vector<std::uint32_t> uids;    // accepted socket owners (without a mark)
  std::optional<std::uint32_t> mark;  // seal-mark=
  friend bool operator==(const StateSeal&, const StateSeal&) = default;
};

struct StateKillSwitch {
  std::string table;  // in family inet, in openvpn's namespace
  std::string mode;   // "yes" or "lockdown"
  bool allow_lan = false;
  std::int64_t since = 0;
  std::optional<std::string> tunnel;  // the device let through, once learned
  friend bool operator==(const StateKillSwitch&, const StateKillSwitch&) = default;
};

struct StateSet {
  SetRef set;
  std::uint64_t members = 0;
  bool interval = false;
  friend bool operator==(const StateSet&, const StateSet&) = default;
};

struct StateClientSets {
  std::optional<std::string> netns;  // nullopt: openvpn's own namespace
  std::uint64_t clients = 0;
  std::vector<StateSet> sets;
  friend bool operator==(const StateClientSets&, const StateClientSets&) = default;
};

struct StateEvent {
  std::string name;
  bool ok = true;
  std::string message;
  std::int64_t at = 0;
  friend bool operator==(const StateEvent&, const StateEvent&) = default;
};

struct InstanceState {
  std::string instance;
  Role role = Role::kClient;
  pid_t helper_pid = 0;
  std::uint64_t helper_start_time = 0;
  pid_t openvpn_pid = 0;
  std::optional<std::uint32_t> openvpn_uid;
  std::int64_t started_at = 0;
  std::int64_t updated_at = 0;
  std::optional<StateEvent> last_event;
  std::optional<StateNetns> netns;
  std::optional<StateSeal> seal;
  std::optional<StateClientSets> client_sets;
  std::optional<StateKillSwitch> killswitch;
  friend bool operator==(const InstanceState&, const InstanceState&) = default;
};

// The longest event message kept in the state file (longer ones are cut, marked with "...").
inline constexpr std::size_t kStateMessageMax = 512;

Json state_to_json(const InstanceState& state);
// The "killswitch" member (state_killswitch.cc).
Json killswitch_json(const StateKillSwitch& k);
// Strict: the version must be kStateVersion, every member of the schema present with its type,
// addresses and names valid. Members the schema does not know are ignored.
Result<InstanceState> state_from_json(const Json& json);

// The state file's path for `instance`.
std::string state_file_path(const std::string& instance);

// "a.b.c.d/len" (or the IPv6 form) of an address.
std::string address_text(const StateAddress& a);

// The lists the state file and `vpnnsctl status --json` write alike: ["192.0.2.1", ...],
// [{"address": "a.b.c.d/len", "peer": ...}, ...], [{"dst": ..., "gateway": ..., "metric": N}, ...].
Json ips_json(const std::vector<IpAddr>& ips);
Json addresses_json(const std::vector<StateAddress>& addrs);
Json routes_json(const std::vector<StateRoute>& routes);

}  // namespace vpnns
