// SPDX-License-Identifier: GPL-2.0-or-later
// Kill switch (killswitch=yes|lockdown): nothing leaves openvpn's network namespace except through
// the tunnel, to openvpn's server from openvpn's own sockets, and what the physical link needs
// (DHCP, IPv6 neighbour discovery); with allow-lan=yes also to private and link-local
// destinations. killswitch_nft.h has the table and why it is shaped so.
//
// What it trusts. Where it may let packets go comes from the trusted configuration (allow-lan,
// killswitch-ports) and from the seal (seal.h), which is the one authority on who openvpn is
// (its socket owners or mark) and where its server is (IPCHANGE): the kill switch copies the
// seal's current data into its own sets whenever that changes, so the two never disagree and
// nothing is learned twice. The tunnel device's name is learned at the first UP (openvpn is still
// root then) and kept for the helper's life; a later UP naming another device changes nothing
// (its packets stay dropped) and says so. With netns= the tunnel lives in another namespace and
// no device in openvpn's namespace is let through.
//
// Lifetime. Installed by the helper at start-up, before it answers Hello: openvpn sends its
// first packet only after the plugin is open. A table of the same instance whose helper is
// gone (a held kill switch) is replaced in the same transaction, so there is no moment without
// one; one owned by a running helper stops start-up. While the helper runs it is repaired like
// the seal (nftables notifications, every event). It is lifted only at openvpn's clean exit
// (CLOSE) with killswitch=yes; EOF (openvpn killed or crashed), a signal to the helper, a
// helper's death, and with lockdown a clean exit too, leave it held: the table stays, and
// `vpnnsctl reset NAME` or the next start of the instance takes it away.
//
// Needs CAP_NET_ADMIN in openvpn's namespace.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "helper/mode.h"
#include "helper/nft_ops.h"
#include "helper/seal_nft.h"
#include "state/state.h"

namespace vpnns {

// The owners of a socket openvpn opens anew (killswitch_nft.h): root until openvpn `dropped`
// privileges, then the non-root owners the seal accepts (its `user`).
std::set<std::uint32_t> reconnect_uids(const std::set<std::uint32_t>& uids, bool dropped);

class KillSwitch {
 public:
  // Opens its nftables socket in openvpn's namespace and installs the table; `seal` gives the
  // accepted socket owners or mark. Messages for openvpn's log go to `warnings`.
  static Result<KillSwitch> open(const Config& config, const SealSpec& seal, Warnings& warnings);
  // Over a given nftables (unit tests: fakes). `now`: seconds since the epoch (the comment's
  // "since"); `self`: the helper's pid (the comment's owner).
  KillSwitch(const Config& config, const SealSpec& seal, std::unique_ptr<NftOps> nft, pid_t self,
             std::int64_t now);

  // Start-up: the table, replacing a held one; refused if a running helper owns it.
  Status install(Warnings& warnings);
  // The seal's server or socket owners changed: the sets follow in one transaction.
  Status follow(const SealSpec& seal, Warnings& warnings);
  // UP in seal mode: the tunnel device's name, learned once. Returns a summary for the log.
  Result<std::string> learn_tunnel(const std::string& dev, Warnings& warnings);
  // openvpn runs as its `user` now (its effective uid, seen by the helper): its new sockets
  // and lookups come from that uid alone; root's stop passing. Takes effect at the next follow().
  void privileges_dropped() { dropped_ = true; }
  // Makes the kernel hold the table again if it does not (notifications, events).
  Status ensure(Warnings& warnings);
  // Teardown. `clean`: openvpn closed the plugin (its clean exit). Lifts the table with
  // killswitch=yes on a clean exit; holds it otherwise. Returns the phrase for the log
  // ("kill switch lifted" / "kill switch held: ...").
  std::string finish(bool clean, Warnings& warnings);

  [[nodiscard]] const KillSwitchSpec& spec() const { return spec_; }
  [[nodiscard]] StateKillSwitch snapshot() const;

 private:
  Status reconcile(KillSwitchSpec want, Warnings& warnings);

  std::unique_ptr<NftOps> nft_;
  KillSwitchSpec spec_;
  std::string instance_;
  KillSwitchMode mode_;
  std::int64_t since_;
  bool track_tunnel_;  // seal mode: the tunnel device is in this namespace
  bool installed_ = false;
  bool dropped_ = false;  // openvpn dropped privileges
};

}  // namespace vpnns
