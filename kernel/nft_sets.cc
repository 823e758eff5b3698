// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/nft_sets.h"

#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <array>
#include <optional>

namespace vpnns {
namespace {

// The address one past the last of `prefix`, or nothing if that wraps around.
std::optional<IpAddr> end_of(const Prefix& prefix) {
  IpAddr last = prefix.addr.last_in_prefix(prefix.len);
  std::array<std::uint8_t, 16> b{};
  const auto bytes = last.bytes();
  std::copy(bytes.begin(), bytes.end(), b.begin());
  for (int i = static_cast<int>(bytes.size()) - 1; i >= 0; --i) {
    if (++b[static_cast<std::size_t>(i)] != 0) {
      return IpAddr::from_bytes({b.data(), bytes.size()});
    }
  }
  return std::nullopt;
}

NftSet set_object(const SetRef& ref) {
  NftSet s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, ref.table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, ref.set.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, nfproto_of(ref.family));
  return s;
}

}  // namespace

void build_set_prefixes(NftBatch& b, const SetRef& set, bool interval, bool add,
                        const std::vector<Prefix>& prefixes) {
  NftSet s = set_object(set);
  for (const Prefix& prefix : prefixes) {
    nftnl_set_elem* start = nftnl_set_elem_alloc();
    nftnl_set_elem_set(start, NFTNL_SET_ELEM_KEY, prefix.addr.bytes().data(),
                       static_cast<std::uint32_t>(prefix.addr.bytes().size()));
    nftnl_set_elem_add(s.get(), start);
    if (!interval) continue;
    if (auto end = end_of(prefix)) {
      nftnl_set_elem* e = nftnl_set_elem_alloc();
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, end->bytes().data(),
                         static_cast<std::uint32_t>(end->bytes().size()));
      nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
      nftnl_set_elem_add(s.get(), e);
    }
  }
  const std::string what =
      prefixes.size() == 1 ? prefixes[0].str() : std::to_string(prefixes.size()) + " entries";
  // An element pair of an IPv6 prefix takes under 100 bytes.
  nlmsghdr* nlh = b.add(add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, nfproto_of(set.family),
                        add ? NLM_F_CREATE : 0,
                        std::string(add ? "adding " : "removing ") + what +
                            (add ? " to set " : " from set ") + set.str(),
                        512 + 100 * prefixes.size());

  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
}

void build_set_flush(NftBatch& b, const SetRef& set) {
  NftSet s = set_object(set);
  // A DELSETELEM without elements empties the set.
  nlmsghdr* nlh = b.add(NFT_MSG_DELSETELEM, nfproto_of(set.family), 0, "emptying set " + set.str());
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
}

}  // namespace vpnns
