// SPDX-License-Identifier: GPL-2.0-or-later
// Reading nftables back: a table's comment, a chain's rule count, a set's description and its
// elements, a named counter — over a NETLINK_NETFILTER socket in the namespace that holds them.
//
// Two kinds of name: the tables vpnns owns are in the inet family and named by table (the
// seal's, the DNS pin's; nft_build.h builds them); sets that belong to the administrator are
// named by family/table/set (SetRef, any family: ip, ip6, inet). Element readers report the
// interval end flag, so a reader of an interval set can tell a range's start from its end marker.
//
// Every reader reports a missing table, chain, set or counter as "absent" (nullopt, 0, false)
// rather than as an error, so a caller can tell "damaged" from "broken". The parsers of single
// messages are pure and public, so unit tests build a message (nft_build.h, nft_sets.h), parse
// it back and compare (tests/unit/nft_read_test.cc).
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/error.h"
#include "kernel/netlink.h"
#include "kernel/nft.h"

namespace vpnns {

// A set as the kernel describes it (NFTA_SET_*).
struct NftSetInfo {
  std::uint32_t key_type = 0;  // nftables datatype (kNftType*, nft_build.h)
  std::uint32_t key_len = 0;   // bytes
  std::uint32_t flags = 0;     // NFT_SET_* (interval, map, concat, ...)
};

// One element of a set: its key, and whether it is the end marker of a range (an interval
// set holds [a, b) as the element a and the element b flagged NFT_SET_ELEM_INTERVAL_END).
// `comment`: the element's comment (its owner, for the elements vpnns adds: nft_sets.h), or "".
struct NftElement {
  std::span<const std::uint8_t> key;
  bool interval_end = false;
  std::string_view comment;
};
using NftElementFn = std::function<void(const NftElement&)>;

// --- parsers of one message (pure)

// The comment of the table in a NEWTABLE message ("" without one); nullopt if it does not parse.
std::optional<std::string> parse_table_comment(const nlmsghdr* nlh);
// The set in a NEWSET message; nullopt if it does not parse.
std::optional<NftSetInfo> parse_set_info(const nlmsghdr* nlh);
// Calls `on_element` for every element of a NEWSETELEM message; false if it does not parse.
bool parse_set_elements(const nlmsghdr* nlh, const NftElementFn& on_element);

// --- readers, inet tables by name

// The table's comment; std::nullopt if there is no such table.
Result<std::optional<std::string>> nft_read_table(NetlinkSocket& sock, const std::string& table);
// How many rules `chain` holds (0 if it does not exist).
Result<std::size_t> nft_count_rules(NetlinkSocket& sock, const std::string& table,
                                    const char* chain);
// Calls `on_key` for every element key of `set`; false if there is no such set.
Result<bool> nft_read_set(NetlinkSocket& sock, const std::string& table, const char* set,
                          const std::function<void(std::span<const std::uint8_t>)>& on_key);
// The packets a named counter has counted; std::nullopt if there is no such counter.
Result<std::optional<std::uint64_t>> nft_read_counter(NetlinkSocket& sock, const std::string& table,
                                                      const char* counter);

// --- readers, any family (family/table/set)

// The set's description; std::nullopt if there is no such set.
Result<std::optional<NftSetInfo>> nft_read_set_info(NetlinkSocket& sock, const SetRef& set);
// Calls `on_element` for every element of `set`, range end markers included; false if there
// is no such set.
Result<bool> nft_read_elements(NetlinkSocket& sock, const SetRef& set,
                               const NftElementFn& on_element);

}  // namespace vpnns
