// SPDX-License-Identifier: GPL-2.0-or-later
// KernelView: what the kernel holds for one vpnns instance, read independently of the helper.
//
// `vpnnsctl status` compares this with the instance's state file (status_report.h). Everything
// is read with the kernel vocabulary the helper uses too (kernel/: rtnl.h, nft_read.h,
// owned_tables.h), but from vpnnsctl's side and without trusting the helper's word for anything:
//
//   namespace   /run/netns/NAME: its identity (st_dev, st_ino), every link, the addresses of
//               the state file's device (IPv6 link-local left out: the kernel's own), and the
//               routes of the main table that carry vpnns's protocol number — over rtnetlink
//               inside the namespace (a socket made there by a short-lived thread; netns.h)
//   DNS         /etc/netns/NAME/resolv.conf: nameserver and search lines, and whether vpnns's
//               header is on it; with dns=pin the table inet vpnns-dns in the namespace: owner
//               comment, pinned servers, the drop counter
//   seal        table inet vpnns-INSTANCE in openvpn's network namespace (/proc/PID/ns/net; if
//               openvpn is gone, vpnnsctl's own): owner comment, server addresses, accepted
//               uids, the drop counter
//   client sets each set's member count (an interval set's range ends not counted), where the
//               sets live: openvpn's namespace, or the server's netns=
//   openvpn     its effective uid now (/proc/PID/status)
//
// Needs root: entering namespaces takes CAP_SYS_ADMIN, reading nftables CAP_NET_ADMIN. A part
// that cannot be read is recorded in `errors` and the rest is still read.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernel/netlink.h"
#include "state/state.h"

namespace vpnns::ctl {

struct KernelLink {
  int ifindex = 0;
  std::string name;
  bool up = false;
  std::uint32_t mtu = 0;
  friend bool operator==(const KernelLink&, const KernelLink&) = default;
};

struct KernelNetns {
  std::string name;
  bool exists = false;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::vector<std::string> links;       // every link's name
  std::optional<KernelLink> device;     // the state file's device, if the namespace holds it
  std::vector<StateAddress> addresses;  // on that device
  std::vector<StateRoute> routes;       // main table, proto vpnns
};

struct KernelDns {
  std::string path;  // /etc/netns/NAME/resolv.conf
  bool exists = false;
  bool written_by_vpnns = false;
  std::vector<IpAddr> servers;
  std::vector<std::string> search;
};

struct KernelDnsPin {
  std::string table;  // inet vpnns-dns in the instance's namespace
  bool exists = false;
  std::string comment;
  std::optional<pid_t> owner_pid;  // from the comment
  std::vector<IpAddr> servers;
  std::uint64_t dropped_packets = 0;
};

struct KernelSeal {
  std::string table;
  std::string where;  // whose namespace was looked in, for messages
  bool exists = false;
  std::string comment;
  std::optional<pid_t> owner_pid;  // from the comment
  std::vector<IpAddr> servers;
  std::optional<std::vector<std::uint32_t>> uids;  // nullopt: no uid set (seal-mark)
  std::uint64_t dropped_packets = 0;
  std::size_t rules = 0;
};

// An administrator's set as the kernel holds it: `members` are this instance's (tagged
// "vpnns:INSTANCE", kernel/nft_sets.h), `total` all of them, `owners` the count per other
// owner — another instance's name, or "" for members vpnns did not add (by hand).
struct KernelSet {
  SetRef set;
  bool exists = false;
  std::uint64_t members = 0;
  std::uint64_t total = 0;
  std::map<std::string, std::uint64_t> owners = {};
  friend bool operator==(const KernelSet&, const KernelSet&) = default;
};

struct KernelView {
  bool openvpn_running = false;
  std::optional<std::uint32_t> openvpn_uid;
  std::optional<KernelNetns> netns;
  std::optional<KernelDns> dns;
  std::optional<KernelDnsPin> dns_pin;
  std::optional<KernelSeal> seal;
  std::optional<std::vector<KernelSet>> client_sets;
  std::vector<std::string> errors;
};

KernelView read_kernel(const InstanceState& state);

// Parses resolv.conf text (`written_by_vpnns`: it starts with vpnns's header, dns.h).
KernelDns parse_resolv_conf(const std::string& text);

// Members of an nftables set (an interval set's range ends not counted); nullopt if there is
// no such set.
Result<std::optional<std::uint64_t>> count_set_members(NetlinkSocket& sock, const SetRef& set);

// A netlink socket of `bus` inside the namespace at `ns_path` (/run/netns/X, /proc/PID/ns/net).
Result<NetlinkSocket> socket_in(const std::string& ns_path, int bus);

}  // namespace vpnns::ctl
