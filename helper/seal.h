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
// Lifetime: installed at the first IPCHANGE or UP (both run as root on a client, before
// "Initialization Sequence Completed"); removed at DOWN, close and EOF. A table of the same name
// left by a crashed helper is replaced; one that belongs to a running helper stops start-up.
//
// Needs CAP_NET_ADMIN (nftables) and read access to /proc/<openvpn>/status.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/ip.h"
#include "common/unique_fd.h"
#include "helper/netlink.h"
#include "helper/seal_nft.h"
#include "state/state.h"

namespace vpnns {

class Seal {
 public:
  // Opens the sockets, resolves seal-user, checks that no running helper owns the table name.
  static Result<Seal> open(const Config& config, pid_t openvpn_pid);

  // The server is now `server` (IPCHANGE; UP when no IPCHANGE was seen): install or swap.
  Result<std::string> follow(const IpAddr& server, std::vector<std::string>& warnings);
  // Refuses UP if openvpn's device `dev` is a DCO device whose packets the seal cannot accept
  // (link_kind.h); looked up in openvpn's namespace, where the seal lives.
  Status check_device(const std::string& dev);
  // Makes the kernel hold the desired table again if it does not (events, notifications).
  Status ensure(std::vector<std::string>& warnings);
  // Starts watching openvpn's uid (after ROUTE_UP: the privilege drop comes right after).
  void watch_for_privilege_drop();
  // Removes the table (DOWN, close, EOF). The last server address is remembered.
  Status remove();

  [[nodiscard]] bool active() const { return active_; }
  [[nodiscard]] const std::optional<IpAddr>& server() const { return spec_.server; }
  [[nodiscard]] const std::string& table() const { return spec_.table; }

  // Descriptors for the helper's poll loop, and what to do when they are readable.
  [[nodiscard]] int monitor_fd() const { return monitor_.get(); }
  [[nodiscard]] int timer_fd() const { return timer_.get(); }
  void on_monitor(std::vector<std::string>& warnings);
  void on_timer(std::vector<std::string>& warnings);

  Result<SealState> state() { return read_seal_state(sock_, spec_.table); }

  // What the seal should hold now, as the state file reports it.
  [[nodiscard]] StateSeal snapshot() const;
  // openvpn's `user`, once known (seal-user=, or seen when openvpn dropped privileges).
  [[nodiscard]] std::optional<std::uint32_t> openvpn_uid() const;

 private:
  Seal(NetlinkSocket sock, NetlinkSocket links, UniqueFd monitor, UniqueFd timer, SealSpec spec,
       pid_t openvpn_pid)
      : sock_(std::move(sock)),
        links_(std::move(links)),
        monitor_(std::move(monitor)),
        timer_(std::move(timer)),
        spec_(std::move(spec)),
        openvpn_pid_(openvpn_pid) {}

  Status reconcile(std::vector<std::string>& warnings);
  void stop_watching();

  NetlinkSocket sock_;
  NetlinkSocket links_;  // NETLINK_ROUTE: the device's kind at UP
  UniqueFd monitor_;     // NETLINK_NETFILTER, member of NFNLGRP_NFTABLES, non-blocking
  UniqueFd timer_;       // timerfd for the privilege-drop watch
  SealSpec spec_;        // what the table must hold
  pid_t openvpn_pid_;
  bool active_ = false;  // the seal should exist now
  bool ever_installed_ = false;
  int watch_ticks_left_ = 0;
  std::optional<std::string> stale_owner_;  // comment of a stale table found at start
};

// openvpn's effective uid from /proc/<pid>/status (the kernel's word, not openvpn's).
Result<uid_t> effective_uid_of(pid_t pid);

// The table's comment names its owner: "vpnns seal for openvpn instance 'NAME'; helper pid N".
// Only a table whose comment starts with seal_comment_prefix(NAME) is vpnns's (vpnnsctl reset
// removes nothing else); a helper replaces one whose owner is gone.
std::string seal_comment_prefix(const std::string& instance);
std::string seal_comment(const std::string& instance, pid_t helper_pid);
// The helper pid in such a comment.
std::optional<pid_t> seal_owner_pid(const std::string& comment);

}  // namespace vpnns
