// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/killswitch_view.h"

#include <linux/netlink.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "ctl/printable.h"
#include "kernel/nft.h"
#include "kernel/nft_build.h"
#include "state/killswitch_owner.h"

namespace vpnns::ctl {
namespace {

std::string utc(std::int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  tm parts{};
  char buf[32] = "?";
  if (::gmtime_r(&tt, &parts) != nullptr) {
    (void)::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &parts);
  }
  return buf;
}

}  // namespace

Result<std::vector<KillSwitchView>> read_killswitches() {
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_NETFILTER));
  VPNNS_ASSIGN_OR_RETURN(std::vector<std::string> tables, list_killswitch_tables(sock));
  std::vector<KillSwitchView> out;
  for (const std::string& t : tables) {
    KillSwitchView v;
    v.table = t;
    VPNNS_ASSIGN_OR_RETURN(v.state, read_killswitch_state(sock, t));
    if (!v.state.exists) continue;  // gone in between
    v.owner = parse_killswitch_comment(v.state.comment);
    v.owner_running = v.owner && killswitch_owner_running(*v.owner);
    out.push_back(std::move(v));
  }
  return out;
}

std::string killswitch_text(const std::vector<KillSwitchView>& views, std::int64_t now) {
  std::string out;
  for (const KillSwitchView& v : views) {
    if (!v.owner) {
      out += "kill switch: table inet " + v.table + " is not vpnns's (comment \"" +
             printable(v.state.comment) + "\")\n";
      continue;
    }
    const KillSwitchOwner& o = *v.owner;
    out += std::string("kill switch: ") + (v.owner_running ? "active" : "held") +
           " (killswitch=" + o.mode + ", allow-lan=" + (o.allow_lan ? "yes" : "no") +
           "), instance " + o.instance + ", table inet " + v.table + ", since " + utc(o.since) +
           " (" + std::to_string(now - o.since) + " s), helper pid " +
           std::to_string(o.helper_pid) + (v.owner_running ? "" : " (gone)") + "\n";
    out += "  dropped: out " + std::to_string(v.state.dropped_out) + ", forward " +
           std::to_string(v.state.dropped_fwd) + ", in " + std::to_string(v.state.dropped_in) +
           " packets";
    if (!v.state.tunnels.empty()) out += "; tunnel " + printable(v.state.tunnels.front());
    out += "\n";
    if (!v.owner_running) {
      out += "  nothing leaves this network namespace outside a tunnel; 'vpnnsctl reset " +
             o.instance + "' lifts it\n";
    }
  }
  return out;
}

Json killswitch_json(const std::vector<KillSwitchView>& views) {
  Json out = Json::array();
  for (const KillSwitchView& v : views) {
    Json k = Json::object();
    k["table"] = v.table;
    k["family"] = "inet";
    k["vpnns"] = v.owner.has_value();
    k["state"] = !v.owner ? "foreign" : v.owner_running ? "active" : "held";
    k["instance"] = v.owner ? Json(v.owner->instance) : Json();
    k["mode"] = v.owner ? Json(v.owner->mode) : Json();
    k["allow_lan"] = v.owner ? Json(v.owner->allow_lan) : Json();
    k["since"] = v.owner ? Json(v.owner->since) : Json();
    k["helper_pid"] = v.owner ? Json(v.owner->helper_pid) : Json();
    k["dropped"] = {
        {"out", v.state.dropped_out}, {"forward", v.state.dropped_fwd}, {"in", v.state.dropped_in}};
    Json tunnels = Json::array();
    for (const auto& t : v.state.tunnels) tunnels.push_back(t);
    k["tunnels"] = std::move(tunnels);
    out.push_back(std::move(k));
  }
  return out;
}

bool reset_killswitch(const std::string& instance) {
  const std::string table = kKsTablePrefix + instance;
  const std::string what = "nft table inet " + table + " in this network namespace";
  auto say = [](const std::string& line) { std::printf("%s\n", printable(line).c_str()); };
  auto sock = NetlinkSocket::open(NETLINK_NETFILTER);
  if (!sock) {
    say("NOT removed: " + what + ": " + sock.error().text());
    return false;
  }
  auto st = read_killswitch_state(*sock, table);
  if (!st) {
    say("NOT removed: " + what + ": " + st.error().text());
    return false;
  }
  if (!st->exists) return true;  // said only when there is one
  const auto owner = parse_killswitch_comment(st->comment);
  if (!owner || owner->instance != instance) {
    say("left alone: " + what + " (its comment is \"" + st->comment + "\": vpnns did not make it)");
    return true;
  }
  if (killswitch_owner_running(*owner)) {
    say("left alone: " + what + " (its helper pid " + std::to_string(owner->helper_pid) +
        " is running: stop that openvpn)");
    return false;
  }
  NftBatch batch(sock->next_seq());
  build_table_delete(batch, table);
  if (Status s = nft_commit(*sock, batch); !s) {
    say("NOT removed: " + what + ": " + s.error().text());
    return false;
  }
  say("removed: " + what + " (kill switch lifted; it had dropped " +
      std::to_string(st->dropped_out) + " packets out, " + std::to_string(st->dropped_fwd) +
      " forwarded, " + std::to_string(st->dropped_in) + " in)");
  return true;
}

}  // namespace vpnns::ctl
