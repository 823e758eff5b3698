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
// Builders are pure and fill an NftBatch (tests/unit/nft_sets_test.cc parses them back);
// nft_read.h reads sets and their elements.
#pragma once

#include <cstddef>
#include <vector>

#include "common/config.h"
#include "common/ip.h"
#include "kernel/nft.h"

namespace vpnns {

// Adds (or removes) `prefixes` to (from) `set` in one message (at most kMaxPrefixesPerMessage):
// in an interval set each as the pair of elements [network, broadcast + 1), in a plain set each
// as its address (only whole addresses, /32 or /128, belong there).
inline constexpr std::size_t kMaxPrefixesPerMessage = 600;
void build_set_prefixes(NftBatch& batch, const SetRef& set, bool interval, bool add,
                        const std::vector<Prefix>& prefixes);
inline void build_set_prefix(NftBatch& batch, const SetRef& set, bool interval, bool add,
                             const Prefix& prefix) {
  build_set_prefixes(batch, set, interval, add, {prefix});
}
// Removes every element of `set`.
void build_set_flush(NftBatch& batch, const SetRef& set);

}  // namespace vpnns
