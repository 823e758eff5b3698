// SPDX-License-Identifier: GPL-2.0-or-later
// The real kernel behind the modes' seams (kernel_real.h): rtnetlink and nftables requests over
// long-lived sockets, built with the vocabulary of rtnl.h, seal_nft.h, dns_pin_nft.h and
// client_sets.h. Trusts the kernel's answers as far as their parsers validate them.
#include "helper/kernel_real.h"

#include <linux/rtnetlink.h>

#include <algorithm>

#include "helper/client_sets.h"
#include "helper/link_kind.h"
#include "kernel/link.h"
#include "kernel/nft.h"
#include "kernel/nft_read.h"
#include "kernel/nft_sets.h"
#include "kernel/rtnl.h"

namespace vpnns {

Result<std::vector<LinkInfo>> NetlinkLinkOps::links() {
  return list_links(sock_, "listing devices");
}

Result<std::optional<LinkInfo>> NetlinkLinkOps::find_link(const std::string& name) {
  return vpnns::find_link(sock_, name);
}

Status NetlinkLinkOps::move_link(int ifindex, const std::string& what) {
  if (move_target_fd_ < 0) return Error(Code::kInternal, what + ": no target namespace");
  MessageBuffer buf;
  return sock_.request(build_link_move(buf, ifindex, move_target_fd_), what);
}

Status NetlinkLinkOps::set_link(int ifindex, std::optional<std::uint32_t> mtu,
                                std::optional<bool> up, const std::string& what) {
  MessageBuffer buf;
  return sock_.request(build_link_set(buf, ifindex, mtu, up), what);
}

Result<std::vector<AddrInfo>> NetlinkLinkOps::addresses() {
  return list_addresses(sock_, "listing addresses");
}

Status NetlinkLinkOps::change_address(bool add, int ifindex, const AddrSpec& spec,
                                      const std::string& what) {
  MessageBuffer buf;
  return sock_.request(build_addr(buf, add ? RTM_NEWADDR : RTM_DELADDR, ifindex, spec), what);
}

Result<std::vector<RouteInfo>> NetlinkLinkOps::routes(Family family) {
  return list_routes(sock_, family, "listing routes");
}

Status NetlinkLinkOps::change_route(bool add, const RouteSpec& spec, const std::string& what) {
  MessageBuffer buf;
  return sock_.request(build_route(buf, add ? RTM_NEWROUTE : RTM_DELROUTE, spec), what);
}

Result<SealState> NetlinkNftOps::read_seal(const std::string& table) {
  return read_seal_state(sock_, table);
}

Result<DnsPinState> NetlinkNftOps::read_dns_pin(const std::string& table) {
  return read_dns_pin_state(sock_, table);
}

Result<KillSwitchState> NetlinkNftOps::read_killswitch(const std::string& table) {
  return read_killswitch_state(sock_, table);
}

Result<std::optional<NftSetInfo>> NetlinkNftOps::read_set(const SetRef& set) {
  return nft_read_set_info(sock_, set);
}

Result<std::optional<std::vector<SetMember>>> NetlinkNftOps::read_members(const SetRef& set,
                                                                          bool interval) {
  return nft_read_members(sock_, set, interval);
}

Status NetlinkNftOps::commit(const std::vector<NftChange>& changes) {
  NftBatch batch(sock_.next_seq());
  struct Build {
    NftBatch& b;
    void operator()(const nft_change::SealInstall& c) const { build_seal_install(b, c.spec); }
    void operator()(const nft_change::SealServer& c) const {
      build_seal_server(b, c.table, c.add, c.server);
    }
    void operator()(const nft_change::SealUid& c) const {
      build_seal_uid(b, c.table, c.add, c.uid);
    }
    void operator()(const nft_change::DnsPinInstall& c) const { build_dns_pin_install(b, c.spec); }
    void operator()(const nft_change::DnsPinServer& c) const {
      build_dns_pin_server(b, c.table, c.add, c.server);
    }
    void operator()(const nft_change::TableDelete& c) const { build_table_delete(b, c.table); }
    void operator()(const nft_change::SetElements& c) const {
      // Several messages if need be (an element list is one attribute of at most 64 KiB);
      // they are one transaction all the same.
      const std::vector<Prefix>& all = c.prefixes;
      for (std::size_t i = 0; i < all.size(); i += kMaxPrefixesPerMessage) {
        const auto last = std::min(all.size(), i + kMaxPrefixesPerMessage);
        build_set_prefixes(b, c.set, c.interval, c.add,
                           std::vector<Prefix>(all.begin() + static_cast<long>(i),
                                               all.begin() + static_cast<long>(last)),
                           c.owner, c.exclusive);
      }
    }
    void operator()(const nft_change::SetFlush& c) const { build_set_flush(b, c.set); }
    void operator()(const nft_change::KillSwitchInstall& c) const {
      build_killswitch_install(b, c.spec);
    }
    void operator()(const nft_change::KillSwitchServer& c) const {
      build_killswitch_server(b, c.table, c.add, c.server);
    }
    void operator()(const nft_change::KillSwitchUid& c) const {
      build_killswitch_uid(b, c.table, c.add, c.uid, c.reconnect);
    }
    void operator()(const nft_change::KillSwitchTunnel& c) const {
      build_killswitch_tunnel(b, c.table, c.add, c.dev);
    }
  };
  for (const NftChange& c : changes) std::visit(Build{batch}, c);
  if (batch.size() == 0) return ok_status();  // nothing to send
  return nft_commit(sock_, batch);
}

}  // namespace vpnns
