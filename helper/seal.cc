// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/seal.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>

#include "common/names.h"
#include "helper/kernel_real.h"
#include "helper/link_kind.h"
#include "helper/validate.h"
#include "kernel/owned_tables.h"
#include "state/helper_identity.h"

namespace vpnns {
namespace {

constexpr int kWatchIntervalMs = 20;
// openvpn drops privileges right after ROUTE_UP; if it has not after this long, it has no
// `user` (or runs as root on purpose) and uid 0 is all there is to accept.
constexpr int kWatchTicks = 60'000 / kWatchIntervalMs;

Result<std::uint32_t> resolve_user(const std::string& user) {
  if (!user.empty() &&
      std::all_of(user.begin(), user.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return static_cast<std::uint32_t>(std::stoul(user));
  }
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  const int err = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found == nullptr) {
    return Error(Code::kNotFound, "argument 'seal-user=" + user + "': no such user", err);
  }
  return static_cast<std::uint32_t>(pw.pw_uid);
}

// Another running helper owns the table its comment names: by pid, start time (where the
// comment has one) and uid 0, held by a pidfd (state/helper_identity.h) — not by a name and a
// live pid, which a local user can fake with a renamed program on a dead helper's pid.
bool owned_by_running_helper(const std::string& comment) {
  const auto owner = table_owner(comment);
  return owner && owner->pid != ::getpid() &&
         running_helper(HelperId{owner->pid, owner->start_time}).has_value();
}

std::string describe(const std::optional<IpAddr>& a) { return a ? a->str() : "(none)"; }

}  // namespace

Result<Seal> Seal::open(const Config& config, pid_t openvpn_pid) {
  SealSpec spec;
  spec.table = config.seal_table();
  spec.comment = seal_comment(config.instance, ::getpid(), own_helper_id().start_time);
  spec.mark = config.seal_mark;
  if (!spec.mark) {
    spec.uids.insert(0);
    if (!config.seal_user.empty()) {
      VPNNS_ASSIGN_OR_RETURN(std::uint32_t uid, resolve_user(config.seal_user));
      spec.uids.insert(uid);
    }
  }

  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_NETFILTER));
  // Opened now: after start-up the helper may open no socket (confine.h).
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket links, NetlinkSocket::open(NETLINK_ROUTE));
  // Notifications of every nftables change in openvpn's namespace; what changed is not read,
  // only that something did.
  UniqueFd monitor_fd(
      ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!monitor_fd) return sys_error("opening an nftables monitor socket", errno);
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = 1u << (NFNLGRP_NFTABLES - 1);
  if (::bind(monitor_fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    return sys_error("subscribing to nftables notifications", errno);
  }
  UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer) return sys_error("timerfd_create", errno);

  Seal seal(std::make_unique<NetlinkNftOps>(std::move(sock)),
            std::make_unique<NetlinkLinkOps>(std::move(links)), std::move(monitor_fd),
            std::move(timer), std::move(spec), openvpn_pid, !config.netns_mode());
  VPNNS_ASSIGN_OR_RETURN(SealState existing, seal.state());
  if (existing.exists) {
    const auto pid = seal_owner_pid(existing.comment);
    if (pid && owned_by_running_helper(existing.comment)) {
      return Error(Code::kFailedPrecondition,
                   "nftables table inet " + seal.spec_.table + " belongs to a running vpnns " +
                       "helper (pid " + std::to_string(*pid) + "): another openvpn uses the " +
                       "instance name '" + config.instance + "'; give this one instance=NAME");
    }
    seal.stale_owner_ =
        existing.comment.empty() ? std::string("an unnamed owner") : existing.comment;
  }
  return seal;
}

Result<Seal::Plan> Seal::plan_for(SealSpec want) {
  Plan plan;
  plan.before = active_ ? spec_.server : std::nullopt;
  VPNNS_ASSIGN_OR_RETURN(SealState st, state());
  plan.want = std::move(want);
  const SealSpec& w = plan.want;
  if (seal_matches(st, w)) return plan;

  const bool intact = st.exists && st.comment == w.comment && st.rules == kSealRules &&
                      st.has_server_sets && st.has_uid_set == !w.mark;
  if (intact) {
    // Only set members differ: change exactly those, in one transaction (an IPCHANGE is the
    // removal of the old address and the addition of the new one, applied at once).
    using nft_change::SealServer;
    using nft_change::SealUid;
    for (const IpAddr& a : st.servers) {
      if (!w.server || a != *w.server) plan.changes.push_back(SealServer{w.table, false, a});
    }
    if (w.server && std::ranges::find(st.servers, *w.server) == st.servers.end()) {
      plan.changes.push_back(SealServer{w.table, true, *w.server});
    }
    for (std::uint32_t uid : w.uids) {
      if (!st.uids.contains(uid)) plan.changes.push_back(SealUid{w.table, true, uid});
    }
    for (std::uint32_t uid : st.uids) {
      if (!w.uids.contains(uid)) plan.changes.push_back(SealUid{w.table, false, uid});
    }
    return plan;
  }
  return replacing(std::move(plan), st.exists, nft_change::SealInstall{w});
}

Status Seal::commit(const Plan& plan, std::vector<std::string>& warnings) {
  VPNNS_TRY(commit_table(*nft_, plan, spec_, active_));
  if (!plan.replace) return ok_status();
  if (stale_owner_) {
    warnings.push_back("replaced a stale nftables table inet " + spec_.table + " (" +
                       *stale_owner_ + ")");
    stale_owner_.reset();
  } else if (ever_installed_) {
    warnings.push_back("the seal (nftables table inet " + spec_.table + ") had been " +
                       (plan.existed ? "changed" : "removed") +
                       " underneath (nft flush ruleset? a firewall reload?); reinstalled");
  }
  ever_installed_ = true;
  return ok_status();
}

Status Seal::validate(const UpRequest& req) const {
  const std::optional<IpAddr> server = server_for(req);
  if (!server) {
    return Error(Code::kFailedPrecondition,
                 "no VPN server address to seal (neither IPCHANGE nor trusted_ip told it)");
  }
  return validate_remote(*server);
}

Status Seal::validate(const IpChangeRequest& req) const { return validate_remote(req.remote); }

Status Seal::check_device(const std::string& dev) {
  if (!is_valid_ifname(dev)) {
    return Error(Code::kInvalidArgument, "device name '" + dev + "' is not a valid name");
  }
  VPNNS_ASSIGN_OR_RETURN(std::optional<LinkInfo> link, links_->find_link(dev));
  // Fail closed: a device the helper cannot see might be one the seal cannot accept.
  if (!link) {
    return Error(Code::kNotFound, "device " + dev +
                                      " does not exist in openvpn's network namespace; the seal "
                                      "cannot tell whether it is a data channel offload device");
  }
  return check_link_kind(dev, link->kind, DeviceUse::kSeal, spec_.mark.has_value());
}

Result<Seal::Plan> Seal::plan(const UpRequest& req, std::vector<std::string>& /*warnings*/) {
  if (check_dco_) VPNNS_TRY(check_device(req.dev));
  SealSpec want = spec_;
  want.server = server_for(req);
  return plan_for(std::move(want));
}

Result<Seal::Plan> Seal::plan(const IpChangeRequest& req, std::vector<std::string>& /*warnings*/) {
  SealSpec want = spec_;
  want.server = req.remote;
  return plan_for(std::move(want));
}

Result<std::string> Seal::apply(const Plan& plan, std::vector<std::string>& warnings) {
  const IpAddr& server = *plan.want.server;
  if (Status s = commit(plan, warnings); !s) {
    return s.error().wrap("the VPN server address " + server.str() + " is NOT sealed");
  }
  const std::optional<IpAddr>& before = plan.before;
  if (before && *before == server) return "seal on " + server.str() + " in place";
  if (before) return "seal moved from " + describe(before) + " to " + server.str();
  return "sealed " + server.str() + ": only openvpn's sockets may reach it (nftables table inet " +
         spec_.table + ")";
}

Status Seal::ensure(std::vector<std::string>& warnings) {
  if (!active_) return ok_status();
  VPNNS_ASSIGN_OR_RETURN(Plan plan, plan_for(spec_));
  return commit(plan, warnings);
}

void Seal::watch_for_privilege_drop() {
  if (spec_.mark) return;  // the mark does not depend on who owns the socket
  watch_ticks_left_ = kWatchTicks;
  itimerspec t{};
  t.it_interval.tv_nsec = kWatchIntervalMs * 1'000'000L;
  t.it_value = t.it_interval;
  (void)::timerfd_settime(timer_.get(), 0, &t, nullptr);
}

void Seal::stop_watching() {
  watch_ticks_left_ = 0;
  itimerspec off{};
  (void)::timerfd_settime(timer_.get(), 0, &off, nullptr);
}

void Seal::on_timer(std::vector<std::string>& warnings) {
  std::uint64_t expirations = 0;
  (void)!::read(timer_.get(), &expirations, sizeof expirations);
  auto uid = effective_uid_of(openvpn_pid_);
  if (!uid) {
    stop_watching();
    return;
  }
  if (*uid != 0) {
    stop_watching();
    if (spec_.uids.insert(*uid).second) {
      Status s = ensure(warnings);
      warnings.push_back(s ? "openvpn dropped privileges to uid " + std::to_string(*uid) +
                                 "; the seal accepts its sockets"
                           : "openvpn dropped privileges to uid " + std::to_string(*uid) +
                                 " but the seal could not be updated: " + s.error().text() +
                                 "; its reconnects may be blocked");
    }
    return;
  }
  if (--watch_ticks_left_ <= 0) stop_watching();
}

void Seal::on_monitor(std::vector<std::string>& warnings) {
  // Drain every pending notification; what changed does not matter, only whether the seal
  // still holds. ENOBUFS (notifications lost) is a reason to check as well.
  char buf[8192];
  while (::recv(monitor_.get(), buf, sizeof buf, MSG_DONTWAIT) > 0 || errno == ENOBUFS) {
  }
  if (Status s = ensure(warnings); !s) {
    warnings.push_back("the seal could not be repaired: " + s.error().text() +
                       "; the VPN server address " + describe(spec_.server) + " is NOT sealed");
  }
}

Status Seal::remove() {
  active_ = false;
  stop_watching();
  VPNNS_ASSIGN_OR_RETURN(SealState st, state());
  if (!st.exists) return ok_status();
  // Only our own table: one of a running namesake is not ours to delete.
  if (st.comment != spec_.comment && owned_by_running_helper(st.comment)) return ok_status();
  return nft_->commit({nft_change::TableDelete{spec_.table}});
}

StateSeal Seal::snapshot() const {
  StateSeal out;
  out.table = spec_.table;
  out.active = active_;
  if (active_ && spec_.server) out.servers.push_back(*spec_.server);
  out.uids.assign(spec_.uids.begin(), spec_.uids.end());
  out.mark = spec_.mark;
  return out;
}

std::optional<std::uint32_t> Seal::openvpn_uid() const {
  // uid 0 is root's socket, accepted from the start; any other accepted uid is openvpn's user.
  for (std::uint32_t uid : spec_.uids) {
    if (uid != 0) return uid;
  }
  return std::nullopt;
}

}  // namespace vpnns
