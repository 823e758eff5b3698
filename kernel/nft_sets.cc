// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/nft_sets.h"

#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>

#include "kernel/nft_read.h"

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

std::optional<Prefix> prefix_of_range(const IpAddr& start, const std::optional<IpAddr>& end) {
  const int max = max_prefix_len(start.family());
  for (int len = max; len >= 0; --len) {
    const Prefix p{start, static_cast<std::uint8_t>(len)};
    if (p.has_host_bits()) break;  // shorter ones have them too
    if (end_of(p) == end) return p;
  }
  return std::nullopt;
}

void build_set_prefixes(NftBatch& b, const SetRef& set, bool interval, bool add,
                        const std::vector<Prefix>& prefixes, const std::string& comment,
                        bool exclusive) {
  NftSet s = set_object(set);
  std::unique_ptr<nftnl_udata_buf, decltype(&nftnl_udata_buf_free)> ud(nullptr,
                                                                       nftnl_udata_buf_free);
  if (add && !comment.empty()) {
    ud.reset(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
    nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_SET_ELEM_COMMENT, comment.c_str());
  }
  for (const Prefix& prefix : prefixes) {
    nftnl_set_elem* start = nftnl_set_elem_alloc();
    nftnl_set_elem_set(start, NFTNL_SET_ELEM_KEY, prefix.addr.bytes().data(),
                       static_cast<std::uint32_t>(prefix.addr.bytes().size()));
    if (ud) {
      nftnl_set_elem_set(start, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud.get()),
                         nftnl_udata_buf_len(ud.get()));
    }
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
  // An element pair of an IPv6 prefix with its comment takes under 160 bytes.
  nlmsghdr* nlh = b.add(add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, nfproto_of(set.family),
                        add ? (NLM_F_CREATE | (exclusive ? NLM_F_EXCL : 0)) : 0,
                        std::string(add ? "adding " : "removing ") + what +
                            (add ? " to set " : " from set ") + set.str(),
                        512 + 160 * prefixes.size());

  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
}

std::string owner_of_comment(std::string_view comment) {
  constexpr std::string_view kTag = "vpnns:";
  if (!comment.starts_with(kTag) || comment.size() == kTag.size()) return {};
  return std::string(comment.substr(kTag.size()));
}

Result<std::optional<std::vector<SetMember>>> nft_read_members(NetlinkSocket& sock,
                                                               const SetRef& set, bool interval) {
  struct Raw {
    IpAddr key;
    bool end;
    std::string comment;
  };
  std::vector<Raw> raw;
  VPNNS_ASSIGN_OR_RETURN(bool exists, nft_read_elements(sock, set, [&](const NftElement& e) {
                           auto key = IpAddr::from_bytes(e.key);
                           if (key)
                             raw.push_back(Raw{*key, e.interval_end, std::string(e.comment)});
                         }));
  if (!exists) return std::optional<std::vector<SetMember>>();
  std::vector<SetMember> out;
  if (!interval) {
    for (Raw& r : raw) {
      out.push_back(
          SetMember{Prefix{r.key, static_cast<std::uint8_t>(max_prefix_len(r.key.family()))},
                    std::move(r.comment)});
    }
    return std::optional<std::vector<SetMember>>(std::move(out));
  }
  // An interval set dumps its ranges as start and end elements, in no promised order.
  // (Where one range ends as the next begins, the end comes first.)
  std::ranges::sort(raw, [](const Raw& a, const Raw& b) {
    return a.key < b.key || (a.key == b.key && a.end && !b.end);
  });
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i].end) continue;
    std::optional<IpAddr> end;
    if (i + 1 < raw.size() && raw[i + 1].end) end = raw[i + 1].key;
    if (auto p = prefix_of_range(raw[i].key, end)) {
      out.push_back(SetMember{*p, std::move(raw[i].comment)});
    } else {
      out.push_back(SetMember{
          Prefix{raw[i].key, static_cast<std::uint8_t>(max_prefix_len(raw[i].key.family()))}, ""});
    }
  }
  return std::optional<std::vector<SetMember>>(std::move(out));
}

void build_set_flush(NftBatch& b, const SetRef& set) {
  NftSet s = set_object(set);
  // A DELSETELEM without elements empties the set.
  nlmsghdr* nlh = b.add(NFT_MSG_DELSETELEM, nfproto_of(set.family), 0, "emptying set " + set.str());
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
}

}  // namespace vpnns
