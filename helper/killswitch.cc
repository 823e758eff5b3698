// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/killswitch.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/names.h"
#include "helper/kernel_real.h"
#include "state/killswitch_owner.h"

namespace vpnns {
namespace {

const char* mode_word(KillSwitchMode m) {
  return m == KillSwitchMode::kLockdown ? "lockdown" : "yes";
}

// A running owner gets a moment to finish: openvpn killed and restarted at once leaves its old
// helper tearing down (it got SIGTERM by PR_SET_PDEATHSIG) while the new one starts.
bool owner_stays(const KillSwitchOwner& owner) {
  for (int i = 0; i < 40; ++i) {
    if (!killswitch_owner_running(owner)) return false;
    ::usleep(50'000);
  }
  return killswitch_owner_running(owner);
}

std::string utc(std::int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  tm parts{};
  char buf[32] = "?";
  if (::gmtime_r(&tt, &parts) != nullptr) {
    (void)::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &parts);
  }
  return buf;
}

std::int64_t now() {
  timespec ts{};
  (void)::clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

}  // namespace

std::set<std::uint32_t> reconnect_uids(const std::set<std::uint32_t>& uids, bool dropped) {
  // Until openvpn dropped privileges (or if it never does), root is openvpn.
  if (!dropped) return {0};
  std::set<std::uint32_t> out;
  for (std::uint32_t uid : uids) {
    if (uid != 0) out.insert(uid);
  }
  return out.empty() ? std::set<std::uint32_t>{0} : out;
}

KillSwitch::KillSwitch(const Config& config, const SealSpec& seal, std::unique_ptr<NftOps> nft,
                       pid_t self, std::int64_t since)
    : nft_(std::move(nft)),
      instance_(config.instance),
      mode_(config.killswitch),
      since_(since),
      track_tunnel_(!config.netns_mode()) {
  spec_.table = config.killswitch_table();
  spec_.comment = killswitch_comment(
      KillSwitchOwner{config.instance, mode_word(mode_), config.allow_lan, since, self});
  spec_.allow_lan = config.allow_lan;
  spec_.ports = config.killswitch_ports;
  spec_.mark = seal.mark;
  if (!seal.mark) {
    spec_.uids = seal.uids;
    spec_.reconnect_uids = reconnect_uids(seal.uids, false);
  }
  spec_.server = seal.server;
}

Result<KillSwitch> KillSwitch::open(const Config& config, const SealSpec& seal,
                                    Warnings& warnings) {
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_NETFILTER));
  KillSwitch ks(config, seal, std::make_unique<NetlinkNftOps>(std::move(sock)), ::getpid(), now());
  VPNNS_TRY(ks.install(warnings));
  return ks;
}

Status KillSwitch::install(Warnings& warnings) {
  VPNNS_ASSIGN_OR_RETURN(KillSwitchState st, nft_->read_killswitch(spec_.table));
  if (st.exists) {
    const auto owner = parse_killswitch_comment(st.comment);
    if (owner && owner->helper_pid != ::getpid() && owner_stays(*owner)) {
      return Error(Code::kFailedPrecondition,
                   "nftables table inet " + spec_.table + " is the kill switch of a running " +
                       "vpnns helper (pid " + std::to_string(owner->helper_pid) +
                       "): another openvpn uses the instance name '" + instance_ +
                       "'; give this one instance=NAME");
    }
    // Replaced in the same transaction that installs the new one (nft_table_replace).
    warnings.push_back(owner ? "kill switch installed in place of one held since " +
                                   utc(owner->since) + " (killswitch=" + owner->mode +
                                   ", helper pid " + std::to_string(owner->helper_pid) + ", gone)"
                             : "kill switch installed in place of a table of the same name (" +
                                   st.comment + ")");
  }
  VPNNS_TRY(nft_->commit({nft_change::KillSwitchInstall{spec_}}));
  installed_ = true;
  return ok_status();
}

Status KillSwitch::reconcile(KillSwitchSpec want, Warnings& warnings) {
  VPNNS_ASSIGN_OR_RETURN(KillSwitchState st, nft_->read_killswitch(want.table));
  if (killswitch_matches(st, want)) {
    spec_ = std::move(want);
    return ok_status();
  }
  std::vector<NftChange> changes;
  if (killswitch_intact(st, want)) {
    // Only elements differ: exactly those, in one transaction (IPCHANGE: old out, new in).
    using namespace nft_change;
    const std::string& t = want.table;
    for (const IpAddr& a : st.servers) {
      if (!want.server || a != *want.server) changes.push_back(KillSwitchServer{t, false, a});
    }
    if (want.server && std::ranges::find(st.servers, *want.server) == st.servers.end()) {
      changes.push_back(KillSwitchServer{t, true, *want.server});
    }
    if (!want.mark) {
      for (bool r : {false, true}) {
        const auto& have = r ? st.reconnect_uids : st.uids;
        const auto& need = r ? want.reconnect_uids : want.uids;
        for (std::uint32_t uid : need) {
          if (!have.contains(uid)) changes.push_back(KillSwitchUid{t, true, uid, r});
        }
        for (std::uint32_t uid : have) {
          if (!need.contains(uid)) changes.push_back(KillSwitchUid{t, false, uid, r});
        }
      }
    }
    for (const std::string& dev : st.tunnels) {
      if (!want.tunnel || dev != *want.tunnel) changes.push_back(KillSwitchTunnel{t, false, dev});
    }
    if (want.tunnel && std::ranges::find(st.tunnels, *want.tunnel) == st.tunnels.end()) {
      changes.push_back(KillSwitchTunnel{t, true, *want.tunnel});
    }
  } else {
    changes.push_back(nft_change::KillSwitchInstall{want});
    if (installed_) {
      warnings.push_back("kill switch (nftables table inet " + want.table + ") had been " +
                         (st.exists ? "changed" : "removed") +
                         " underneath (nft flush ruleset? a firewall reload?); reinstalled");
    }
  }
  VPNNS_TRY(nft_->commit(changes));
  spec_ = std::move(want);
  installed_ = true;
  return ok_status();
}

Status KillSwitch::follow(const SealSpec& seal, Warnings& warnings) {
  KillSwitchSpec want = spec_;
  want.mark = seal.mark;
  want.uids = seal.mark ? std::set<std::uint32_t>{} : seal.uids;
  want.reconnect_uids = seal.mark ? std::set<std::uint32_t>{} : reconnect_uids(seal.uids, dropped_);
  want.server = seal.server;
  return reconcile(std::move(want), warnings);
}

Result<std::string> KillSwitch::learn_tunnel(const std::string& dev, Warnings& warnings) {
  if (!track_tunnel_) return std::string();
  if (!is_valid_ifname(dev)) {
    return Error(Code::kInvalidArgument, "device name '" + dev + "' is not a valid name");
  }
  if (spec_.tunnel && *spec_.tunnel != dev) {
    warnings.push_back("kill switch: the tunnel device is now " + dev + ", not " + *spec_.tunnel +
                       " as at the first UP; only " + *spec_.tunnel +
                       " is let through (give openvpn a fixed `dev` name, e.g. `dev tun0`)");
    return std::string();
  }
  KillSwitchSpec want = spec_;
  want.tunnel = dev;
  VPNNS_TRY(reconcile(std::move(want), warnings));
  return "kill switch lets the tunnel device " + dev + " through";
}

Status KillSwitch::ensure(Warnings& warnings) { return reconcile(spec_, warnings); }

std::string KillSwitch::finish(bool clean, Warnings& warnings) {
  const std::string reset = "'vpnnsctl reset " + instance_ + "' lifts it";
  if (!clean) {
    return "kill switch held: openvpn did not exit cleanly (nftables table inet " + spec_.table +
           " stays; " + reset + ")";
  }
  if (mode_ == KillSwitchMode::kLockdown) {
    return "kill switch held: killswitch=lockdown (nftables table inet " + spec_.table +
           " stays; " + reset + ")";
  }
  auto st = nft_->read_killswitch(spec_.table);
  if (st && st->exists && st->comment != spec_.comment) {
    return "kill switch lifted (table inet " + spec_.table + " belongs to another owner now)";
  }
  if (st && st->exists) {
    if (Status s = nft_->commit({nft_change::TableDelete{spec_.table}}); !s) {
      warnings.push_back(s.error().text());
      return "kill switch held: it could not be removed (" + reset + ")";
    }
  } else if (!st) {
    warnings.push_back(st.error().text());
  }
  return "kill switch lifted";
}

StateKillSwitch KillSwitch::snapshot() const {
  return StateKillSwitch{spec_.table, mode_word(mode_), spec_.allow_lan, since_, spec_.tunnel};
}

}  // namespace vpnns
