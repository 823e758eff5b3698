// SPDX-License-Identifier: GPL-2.0-or-later
// `vpnnsctl status`: the report for people, one block per instance, every string through
// printable() since names, comments and event messages may be anyone's bytes.
#include "ctl/status_text.h"

#include <ctime>
#include <functional>

#include "ctl/printable.h"
#include "ctl/status_words.h"

namespace vpnns::ctl {
namespace {

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
      if (!n.dns->search.empty()) d += "; search " + join(n.dns->search, std::identity{}, " ");
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
    // What else the kernel's sets hold: other instances' members, and those added by hand.
    std::string others;
    for (const KernelSet& k :
         r.kernel&& r.kernel->client_sets ? *r.kernel->client_sets : std::vector<KernelSet>{}) {
      for (const auto& [owner, n] : k.owners) {
        others += (others.empty() ? "" : ", ") + k.set.str() + " " + std::to_string(n) +
                  (owner.empty() ? " by hand" : " of '" + owner + "'");
      }
    }
    if (!others.empty()) t += "; also " + others;
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
