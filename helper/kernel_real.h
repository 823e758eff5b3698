// SPDX-License-Identifier: GPL-2.0-or-later
// NetlinkLinkOps and NetlinkNftOps: LinkOps (kernel_ops.h) over a real rtnetlink socket and
// NftOps (nft_ops.h) over a real nftables socket — the kernel side of the seam that the modes'
// unit tests replace with fakes (tests/unit/fake_kernel.h, fake_nft.h).
//
// This file and kernel_real.cc are the only ones in the modes that include the netlink,
// rtnetlink and nftables senders (netlink.h, rtnl.h, nft.h, link_kind.h's find_link); when that
// vocabulary moves to its own folder, these include lines are all that change.
//
// The socket is opened by the caller (start-up, before the helper confines itself); the ops
// only send and receive. Needs CAP_NET_ADMIN for changes.
#pragma once

#include "helper/kernel_ops.h"
#include "helper/nft_ops.h"
#include "kernel/netlink.h"

namespace vpnns {

class NetlinkLinkOps final : public LinkOps {
 public:
  // `move_target_fd`: the namespace move_link() moves devices into (-1: none; not owned).
  explicit NetlinkLinkOps(NetlinkSocket sock, int move_target_fd = -1)
      : sock_(std::move(sock)), move_target_fd_(move_target_fd) {}

  Result<std::vector<LinkInfo>> links() override;
  Result<std::optional<LinkInfo>> find_link(const std::string& name) override;
  Status move_link(int ifindex, const std::string& what) override;
  Status set_link(int ifindex, std::optional<std::uint32_t> mtu, std::optional<bool> up,
                  const std::string& what) override;
  Result<std::vector<AddrInfo>> addresses() override;
  Status change_address(bool add, int ifindex, const AddrSpec& spec,
                        const std::string& what) override;
  Result<std::vector<RouteInfo>> routes(Family family) override;
  Status change_route(bool add, const RouteSpec& spec, const std::string& what) override;

 private:
  NetlinkSocket sock_;
  int move_target_fd_;
};

class NetlinkNftOps final : public NftOps {
 public:
  explicit NetlinkNftOps(NetlinkSocket sock) : sock_(std::move(sock)) {}

  Result<SealState> read_seal(const std::string& table) override;
  Result<DnsPinState> read_dns_pin(const std::string& table) override;
  Result<KillSwitchState> read_killswitch(const std::string& table) override;
  Result<std::optional<NftSetInfo>> read_set(const SetRef& set) override;
  Result<std::optional<std::vector<SetMember>>> read_members(const SetRef& set,
                                                             bool interval) override;
  Status commit(const std::vector<NftChange>& changes) override;

 private:
  NetlinkSocket sock_;  // NETLINK_NETFILTER
};

}  // namespace vpnns
