// SPDX-License-Identifier: GPL-2.0-or-later
// Element changes for nftables sets vpnns does not own: the administrator's sets, named by
// family/table/set (SetRef, any family: ip, ip6, inet), which vpnns only fills and empties
// (helper/client_sets.h says why and when).
//
// An address goes in as its own key. In an interval set (`flags interval`) a prefix is the
// range [network, broadcast + 1): the element `network` and the element `broadcast + 1` flagged
// NFT_SET_ELEM_INTERVAL_END — as `nft --debug=netlink add element` sends it; the end is left out
// when it would wrap past the last address. A DELSETELEM without elements empties the set.
//
// Ownership: each element vpnns adds carries its owner as the element's comment
// (NFTA_SET_ELEM_USERDATA holding libnftnl's NFTNL_UDATA_SET_ELEM_COMMENT TLV, which is what
// `nft list set` prints as `comment "vpnns:NAME"` and what `nft add element ... { a comment "x" }`
// writes). Element userdata has been in the kernel since 4.6 and the comment TLV in libnftnl
// since 1.0.7 (Debian 12: kernel 6.1, libnftnl 1.2.4). The alternatives were worse: a second set
// per instance changes the administrator's ruleset; a map (address -> instance) is not a set the
// administrator's rules can name as `@clients`; a helper-side record alone dies with a SIGKILLed
// helper. The comment survives the helper, costs nothing on the packet path (the kernel never
// reads it), and the next start of the same instance finds exactly its own elements by it. In
// an interval set the comment rides on the range's start element, as nft puts it.
//
// Adding with `exclusive` sends NLM_F_EXCL: an element already in the set (someone else's, or
// one added by hand) fails the whole batch with EEXIST instead of being silently shared.
//
// Builders are pure and fill an NftBatch (tests/unit/nft_sets_test.cc parses them back);
// nft_read.h reads sets and their elements.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/ip.h"
#include "kernel/netlink.h"
#include "kernel/nft.h"

namespace vpnns {

// Adds (or removes) `prefixes` to (from) `set` in one message (at most kMaxPrefixesPerMessage):
// in an interval set each as the pair of elements [network, broadcast + 1), in a plain set each
// as its address (only whole addresses, /32 or /128, belong there).
inline constexpr std::size_t kMaxPrefixesPerMessage = 400;
// `comment` (adds only; empty: none) is the elements' owner; `exclusive` adds with NLM_F_EXCL.
void build_set_prefixes(NftBatch& batch, const SetRef& set, bool interval, bool add,
                        const std::vector<Prefix>& prefixes, const std::string& comment = {},
                        bool exclusive = false);
inline void build_set_prefix(NftBatch& batch, const SetRef& set, bool interval, bool add,
                             const Prefix& prefix) {
  build_set_prefixes(batch, set, interval, add, {prefix});
}
// The prefix whose range is [start, end) (an interval set's pair of elements; no end: up to the
// last address), or nullopt if no prefix spans exactly that.
std::optional<Prefix> prefix_of_range(const IpAddr& start, const std::optional<IpAddr>& end);
// A member of a set as prefixes go in (an address, or an interval set's range read back as its
// prefix) and its comment: "vpnns:NAME" for instance NAME's (owner_comment()), anything else
// for the administrator's own.
struct SetMember {
  Prefix prefix;
  std::string comment;
  friend bool operator==(const SetMember&, const SetMember&) = default;
};
inline std::string owner_comment(const std::string& instance) { return "vpnns:" + instance; }
// The instance named by a comment vpnns wrote, or "" for any other comment.
std::string owner_of_comment(std::string_view comment);
// Every member of `set` (`interval`: ranges are read back as prefixes; a range that is no prefix
// is reported with its start address and comment "" — not vpnns's); nullopt if there is no set.
Result<std::optional<std::vector<SetMember>>> nft_read_members(NetlinkSocket& sock,
                                                               const SetRef& set, bool interval);

// Removes every element of `set`.
void build_set_flush(NftBatch& batch, const SetRef& set);

}  // namespace vpnns
