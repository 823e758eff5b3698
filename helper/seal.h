// SPDX-License-Identifier: GPL-2.0-or-later
// Seal: only openvpn's own sockets may reach the VPN server ("Port Fail" closed).
//
// The helper keeps one nftables table per openvpn instance in openvpn's own namespace
// (seal_nft.h says what it holds) and reconciles it to a desired state on every event: the
// server's current address, and the socket owners that count as openvpn. Reconciling reads what
// the kernel holds; if the table is intact only the differing set elements change (one
// transaction: the IPCHANGE swap of old and new address); if it is missing or damaged it is
// replaced whole, atomically, and the next reply to openvpn says so.
//
// Who is openvpn. Owner uid 0 (openvpn's socket opened while root) and openvpn's `user` uid
// (a socket reopened after SIGUSR1). The `user` uid is never taken from the openvpn side: it is
// `seal-user=` from the trusted configuration, or read by the helper from /proc/<openvpn>/status
// — openvpn drops privileges right after ROUTE_UP, so after ROUTE_UP the helper polls openvpn's
// effective uid until it changes, and adds it. That happens before openvpn can open a new socket,
// so the reconnect after a SIGUSR1 (which fires no event at all before it reaches the server)
// is never blocked. With `seal-mark=N` the mark openvpn sets on its sockets is matched instead.
//
// Data channel offload: with a DCO device the kernel sends the data packets itself, without
// openvpn's socket, so owners cannot accept them. At every UP (alone; with netns the tunnel
// refuses DCO) the seal reads the device's link kind in openvpn's namespace and refuses UP
// unless it can accept what the device sends (link_kind.h: the in-kernel "ovpn" with seal-mark,
// never 2.6's "ovpn-dco").
//
// The table can vanish underneath (`nft flush ruleset`, a firewall reload). The helper listens
// to nftables' change notifications and repairs the seal at once, and checks again at every
// event; the repair is reported in openvpn's log with the next reply.
//
// Where the seal may be aimed: only at an address of the hosts openvpn's configuration connects
// to, as the helper resolved them at start (peer_evidence.h says why that evidence and what it
// costs); IPCHANGE to another address, or UP's trusted_ip fallback, is refused, nothing changed.
//
// Lifetime: installed at the first IPCHANGE or UP (both run as root on a client, before
// "Initialization Sequence Completed"); removed at DOWN, close and EOF. A table of the same name
// left by a crashed helper is replaced; one that belongs to a running helper stops start-up.
//
// Needs CAP_NET_ADMIN (nftables) and read access to /proc/<openvpn>/status.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/ip.h"
#include "common/unique_fd.h"
#include "helper/kernel_ops.h"
#include "helper/mode.h"
#include "helper/nft_ops.h"
#include "helper/peer_evidence.h"
#include "helper/seal_nft.h"
#include "helper_ipc/messages.h"
#include "kernel/netlink.h"
#include "state/process_info.h"  // effective_uid_of
#include "state/state.h"

namespace vpnns {

class Seal {
 public:
  // Opens the sockets, resolves seal-user, checks that no running helper owns the table name.
  // `remotes`: the hosts openvpn's configuration connects to (peer_evidence.h), resolved here.
  static Result<Seal> open(const Config& config, pid_t openvpn_pid,
                           const std::vector<std::string>& remotes);
  // Resolves `remotes` again (and only they count from now on). Service::start does the lookups
  // once the kill switch, if any, is in place: a kill switch held by an earlier run of the
  // instance lets no DNS of the helper's uid out, the new one lets it out until openvpn drops
  // its privileges.
  void resolve_remotes(const std::vector<std::string>& remotes) {
    peers_ = PeerEvidence::resolve(remotes);
  }
  // Over a given kernel (unit tests: fakes); no monitor or timer. `check_dco`: UP checks the
  // device's kind (seal mode alone; with netns the tunnel refuses every DCO device itself).
  // `peers`: nullopt asks for no evidence (unit tests of the table logic alone).
  Seal(SealSpec spec, std::unique_ptr<NftOps> nft, std::unique_ptr<LinkOps> links, bool check_dco,
       pid_t openvpn_pid = 0, std::optional<PeerEvidence> peers = std::nullopt)
      : Seal(std::move(nft), std::move(links), UniqueFd(), UniqueFd(), std::move(spec), openvpn_pid,
             check_dco) {
    peers_ = std::move(peers);
  }

  // What UP and IPCHANGE change (mode.h): the table made to hold `want`.
  struct Plan : TablePlan<SealSpec> {
    std::optional<IpAddr> before;  // the server sealed until now
  };

  // The seal's part of UP and IPCHANGE, judged against what it holds: the server to seal must
  // be known and a unicast address. Pure.
  Status validate(const UpRequest& req) const;
  Status validate(const IpChangeRequest& req) const;
  // The server UP seals: IPCHANGE (which precedes UP) is the authority on the server's address;
  // the env's trusted_ip is the fallback.
  [[nodiscard]] std::optional<IpAddr> server_for(const UpRequest& req) const {
    return spec_.server ? spec_.server : req.remote;
  }
  // UP: refused if openvpn's device is a DCO device whose packets the seal cannot accept
  // (link_kind.h; looked up in openvpn's namespace, where the seal lives); then as IPCHANGE.
  Result<Plan> plan(const UpRequest& req, std::vector<std::string>& warnings);
  // IPCHANGE: the server is now `req.remote`: install, or swap the address in one transaction.
  Result<Plan> plan(const IpChangeRequest& req, std::vector<std::string>& warnings);
  Result<std::string> apply(const Plan& plan, std::vector<std::string>& warnings);

  // Makes the kernel hold the desired table again if it does not (events, notifications).
  Status ensure(std::vector<std::string>& warnings);
  // Starts watching openvpn's uid (after ROUTE_UP: the privilege drop comes right after).
  void watch_for_privilege_drop();
  // Removes the table (DOWN, close, EOF). The last server address is remembered.
  Status remove();

  [[nodiscard]] bool active() const { return active_; }
  [[nodiscard]] const std::optional<IpAddr>& server() const { return spec_.server; }
  [[nodiscard]] const std::string& table() const { return spec_.table; }
  // Who openvpn is and where its server is, as the seal holds it (the kill switch follows it).
  [[nodiscard]] const SealSpec& spec() const { return spec_; }

  // Descriptors for the helper's poll loop, and what to do when they are readable.
  [[nodiscard]] int monitor_fd() const { return monitor_.get(); }
  [[nodiscard]] int timer_fd() const { return timer_.get(); }
  void on_monitor(std::vector<std::string>& warnings);
  void on_timer(std::vector<std::string>& warnings);

  Result<SealState> state() { return nft_->read_seal(spec_.table); }

  // What the seal should hold now, as the state file reports it.
  [[nodiscard]] StateSeal snapshot() const;
  // openvpn's `user`, once known (seal-user=, or seen when openvpn dropped privileges).
  [[nodiscard]] std::optional<std::uint32_t> openvpn_uid() const;

 private:
  Seal(std::unique_ptr<NftOps> nft, std::unique_ptr<LinkOps> links, UniqueFd monitor,
       UniqueFd timer, SealSpec spec, pid_t openvpn_pid, bool check_dco)
      : nft_(std::move(nft)),
        links_(std::move(links)),
        monitor_(std::move(monitor)),
        timer_(std::move(timer)),
        spec_(std::move(spec)),
        openvpn_pid_(openvpn_pid),
        check_dco_(check_dco) {}

  Status check_device(const std::string& dev);
  // Reads the table and plans the changes that make it hold `want`.
  Result<Plan> plan_for(SealSpec want);
  // Commits the plan; only then does the seal believe `plan.want`.
  Status commit(const Plan& plan, std::vector<std::string>& warnings);
  void stop_watching();

  std::unique_ptr<NftOps> nft_;     // in openvpn's namespace
  std::unique_ptr<LinkOps> links_;  // the device's kind at UP
  UniqueFd monitor_;                // NETLINK_NETFILTER, member of NFNLGRP_NFTABLES, non-blocking
  UniqueFd timer_;                  // timerfd for the privilege-drop watch
  SealSpec spec_;                   // what the table must hold
  pid_t openvpn_pid_;
  bool check_dco_;
  std::optional<PeerEvidence> peers_;  // where the seal may be aimed (peer_evidence.h)
  bool active_ = false;                // the seal should exist now
  bool ever_installed_ = false;
  int watch_ticks_left_ = 0;
  std::optional<std::string> stale_owner_;  // comment of a stale table found at start
};

// The table's comment names its owner (seal_comment(), seal_owner_pid(): kernel/owned_tables.h);
// a helper replaces a table whose owner is gone.

}  // namespace vpnns
