// SPDX-License-Identifier: GPL-2.0-or-later
// The health rules of `vpnnsctl status` (see status_report.h): each compare_* puts the state file's
// word next to the kernel's and names every disagreement, in words a person can act on.
#include "ctl/status_report.h"

#include <algorithm>

#include "ctl/status_words.h"

namespace vpnns::ctl {
namespace {

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

}  // namespace

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

}  // namespace vpnns::ctl
