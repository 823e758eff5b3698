// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/kernel_view.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "common/etc_netns.h"
#include "common/read_fd.h"
#include "common/unique_fd.h"
#include "kernel/link.h"
#include "kernel/netns.h"
#include "kernel/nft_read.h"
#include "kernel/nft_sets.h"
#include "kernel/owned_tables.h"
#include "kernel/rtnl.h"
#include "state/process_info.h"

namespace vpnns::ctl {
namespace {

bool is_link_local_v6(const IpAddr& a) {
  return !a.is_v4() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;
}

Result<std::string> read_text(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  if (!fd) return sys_error("opening " + path, errno);
  VPNNS_ASSIGN_OR_RETURN(std::string out, read_fd(fd.get(), 1 << 20, path));
  if (out.size() > (1 << 20)) return Error(Code::kFailedPrecondition, path + " is over 1 MiB");
  return out;
}

Status read_netns(const StateNetns& want, KernelNetns& out) {
  out.name = want.name;
  const std::string path = std::string(kNetnsRunDir) + "/" + want.name;
  struct stat st = {};
  if (::stat(path.c_str(), &st) < 0) {
    if (errno == ENOENT) return ok_status();
    return sys_error("stat " + path, errno);
  }
  out.exists = true;
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket sock, socket_in(path, NETLINK_ROUTE));
  VPNNS_ASSIGN_OR_RETURN(
      std::vector<LinkInfo> links,
      list_links(sock, "listing the links of network namespace '" + want.name + "'"));
  for (const LinkInfo& link : links) {
    out.links.push_back(link.name);
    if (want.device && link.name == want.device->name) {
      out.device = KernelLink{link.ifindex, link.name, (link.flags & IFF_UP) != 0, link.mtu};
    }
  }
  if (out.device) {
    VPNNS_ASSIGN_OR_RETURN(
        std::vector<AddrInfo> addrs,
        list_addresses(sock, "listing the addresses in network namespace '" + want.name + "'"));
    for (const AddrInfo& a : addrs) {
      if (a.ifindex != out.device->ifindex || is_link_local_v6(a.spec.local)) continue;
      out.addresses.push_back(StateAddress{a.spec.local, a.spec.prefix_len, a.spec.peer});
    }
  }
  for (Family f : {Family::kV4, Family::kV6}) {
    VPNNS_ASSIGN_OR_RETURN(
        std::vector<RouteInfo> routes,
        list_routes(sock, f, "listing the routes in network namespace '" + want.name + "'"));
    for (const RouteInfo& r : routes) {
      if (r.spec.protocol == kRouteProtocol && r.spec.table == kMainTable) {
        out.routes.push_back(StateRoute{r.spec.dst, r.spec.gateway, r.spec.priority});
      }
    }
  }
  return ok_status();
}

KernelDns read_dns(const std::string& netns) {
  const std::string path = std::string(kNetnsEtcDir) + "/" + netns + "/resolv.conf";
  auto text = read_text(path);
  KernelDns dns = text ? parse_resolv_conf(*text) : KernelDns{};
  dns.path = path;
  dns.exists = text.ok();
  return dns;
}

// Where openvpn's network namespace is, and how to call it in messages.
std::pair<std::string, std::string> openvpn_netns(const InstanceState& state, bool running) {
  if (running) {
    return {"/proc/" + std::to_string(state.openvpn_pid) + "/ns/net",
            "openvpn's network namespace (pid " + std::to_string(state.openvpn_pid) + ")"};
  }
  return {"/proc/self/ns/net", "vpnnsctl's network namespace (openvpn is gone)"};
}

Status read_seal(const InstanceState& state, bool openvpn_running, KernelSeal& out) {
  out.table = state.seal->table;
  const auto [path, where] = openvpn_netns(state, openvpn_running);
  out.where = where;
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket sock, socket_in(path, NETLINK_NETFILTER));
  VPNNS_ASSIGN_OR_RETURN(SealState st, read_seal_state(sock, out.table));
  out.exists = st.exists;
  out.comment = st.comment;
  out.owner_pid = seal_owner_pid(st.comment);
  out.servers = st.servers;
  if (st.has_uid_set) out.uids = std::vector<std::uint32_t>(st.uids.begin(), st.uids.end());
  out.dropped_packets = st.dropped_packets;
  out.rules = st.rules;
  return ok_status();
}

Status read_dns_pin(const StateNetns& netns, KernelDnsPin& out) {
  out.table = kDnsPinTable;
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket sock, socket_in(std::string(kNetnsRunDir) + "/" + netns.name,
                                                       NETLINK_NETFILTER));
  VPNNS_ASSIGN_OR_RETURN(DnsPinState st, read_dns_pin_state(sock, out.table));
  out.exists = st.exists;
  out.comment = st.comment;
  out.owner_pid = seal_owner_pid(st.comment);  // the same "; helper pid N" ending
  out.servers = st.servers;
  out.dropped_packets = st.dropped_packets;
  return ok_status();
}

Status read_client_sets(const InstanceState& state, bool openvpn_running,
                        std::vector<KernelSet>& out) {
  const StateClientSets& sets = *state.client_sets;
  const std::string path = sets.netns ? std::string(kNetnsRunDir) + "/" + *sets.netns
                                      : openvpn_netns(state, openvpn_running).first;
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket sock, socket_in(path, NETLINK_NETFILTER));
  const std::string mine = owner_comment(state.instance);
  for (const StateSet& s : sets.sets) {
    VPNNS_ASSIGN_OR_RETURN(auto members, nft_read_members(sock, s.set, s.interval));
    KernelSet k{s.set, members.has_value(), 0, 0, {}};
    for (const SetMember& m : members.value_or(std::vector<SetMember>{})) {
      ++k.total;
      if (m.comment == mine) {
        ++k.members;
      } else {
        ++k.owners[owner_of_comment(m.comment)];
      }
    }
    out.push_back(std::move(k));
  }
  return ok_status();
}

}  // namespace

Result<NetlinkSocket> socket_in(const std::string& ns_path, int bus) {
  UniqueFd ns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return sys_error("opening " + ns_path, errno);
  return NetlinkSocket::open(bus, ns.get());
}

KernelDns parse_resolv_conf(const std::string& text) {
  KernelDns dns;
  dns.written_by_vpnns = text.starts_with(kVpnnsFileHeader);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key, value;
    words >> key;
    if (key == "nameserver" && words >> value) {
      if (auto a = IpAddr::parse(value)) dns.servers.push_back(*a);
    } else if (key == "search") {
      dns.search.clear();  // the last search line counts (resolv.conf(5))
      while (words >> value) dns.search.push_back(value);
    }
  }
  return dns;
}

Result<std::optional<std::uint64_t>> count_set_members(NetlinkSocket& sock, const SetRef& ref) {
  std::uint64_t count = 0;
  // An interval set holds a range as its start and an end marker: count the starts.
  VPNNS_ASSIGN_OR_RETURN(bool exists, nft_read_elements(sock, ref, [&](const NftElement& e) {
                           if (!e.interval_end) ++count;
                         }));
  if (!exists) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(count);
}

KernelView read_kernel(const InstanceState& state) {
  KernelView view;
  view.openvpn_running = process_running(state.openvpn_pid);
  if (view.openvpn_running) {
    if (auto uid = effective_uid_of(state.openvpn_pid)) view.openvpn_uid = *uid;
  }
  if (state.netns) {
    KernelNetns n;
    if (Status s = read_netns(*state.netns, n); !s) view.errors.push_back(s.error().text());
    view.netns = std::move(n);
    view.dns = read_dns(state.netns->name);
    // Only while the namespace is there: without it there is nothing to read, and saying so
    // once (above) is enough.
    if (state.netns->dns_pin && view.netns->exists) {
      KernelDnsPin pin;
      if (Status s = read_dns_pin(*state.netns, pin); !s) {
        view.errors.push_back(s.error().text());
      } else {
        view.dns_pin = std::move(pin);
      }
    }
  }
  if (state.seal) {
    KernelSeal seal;
    if (Status s = read_seal(state, view.openvpn_running, seal); !s) {
      view.errors.push_back(s.error().text());
    } else {
      view.seal = std::move(seal);
    }
  }
  if (state.client_sets) {
    std::vector<KernelSet> sets;
    if (Status s = read_client_sets(state, view.openvpn_running, sets); !s) {
      view.errors.push_back(s.error().text());
    } else {
      view.client_sets = std::move(sets);
    }
  }
  return view;
}

}  // namespace vpnns::ctl
