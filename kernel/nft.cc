// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/nft.h"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <cstring>

namespace vpnns {
namespace {

// BEGIN and END are a header and an nfgenmsg.
constexpr std::size_t kBatchMarkerRoom = 64;

}  // namespace

NftBatch::NftBatch(std::uint32_t first_seq) : first_seq_(first_seq), seq_(first_seq) {
  nftnl_batch_begin(reserve(kBatchMarkerRoom), seq_++);
  commit(reinterpret_cast<const nlmsghdr*>(buf_.get() + used_));
}

char* NftBatch::reserve(std::size_t room) {
  if (capacity_ < used_ + room) {
    const std::size_t grown = std::max(used_ + room, capacity_ * 2);
    auto bigger = std::make_unique_for_overwrite<char[]>(grown);
    if (used_ > 0) std::memcpy(bigger.get(), buf_.get(), used_);
    buf_ = std::move(bigger);
    capacity_ = grown;
  }
  // libmnl 1.0.4 does not zero attribute padding, and libnftnl puts some strings without their
  // NUL: the room is cleared so that padding is zeros, as the kernel and parsers expect.
  std::memset(buf_.get() + used_, 0, room);
  return buf_.get() + used_;
}

void NftBatch::commit(const nlmsghdr* nlh) { used_ += NLMSG_ALIGN(nlh->nlmsg_len); }

nlmsghdr* NftBatch::add(std::uint16_t type, std::uint16_t family, std::uint16_t flags,
                        std::string what, std::size_t room) {
  // The previous message is complete now that its builder is done; count it in before the
  // buffer may grow (which would move it).
  if (pending_ != nullptr) commit(pending_);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(reserve(std::min(room, kMaxRoom)), type, family,
                                        static_cast<std::uint16_t>(flags | NLM_F_ACK), seq_++);
  what_.push_back(std::move(what));
  // The caller fills the payload into the reserved room; its length is taken at the next
  // add() or finish().
  pending_ = nlh;
  return nlh;
}

std::span<const char> NftBatch::finish() {
  if (!finished_) {
    if (pending_ != nullptr) commit(pending_);
    pending_ = nullptr;
    nftnl_batch_end(reserve(kBatchMarkerRoom), seq_++);
    commit(reinterpret_cast<const nlmsghdr*>(buf_.get() + used_));

    finished_ = true;
  }
  return bytes();
}

std::string NftBatch::describe(std::uint32_t seq) const {
  if (seq <= first_seq_ || seq - first_seq_ - 1 >= what_.size()) return "nftables batch";
  return what_[seq - first_seq_ - 1];
}

Status nft_commit(NetlinkSocket& sock, NftBatch& batch) {
  auto bytes = batch.finish();
  // Keep the socket's own counter past this batch so later requests never reuse its numbers.
  sock.skip_seq_to(batch.last_seq());
  return sock.batch(bytes, batch.first_seq(), batch.last_seq(),
                    [&](std::uint32_t seq) { return batch.describe(seq); });
}

std::uint16_t nfproto_of(const std::string& family) {
  if (family == "ip") return NFPROTO_IPV4;
  if (family == "ip6") return NFPROTO_IPV6;
  return NFPROTO_INET;
}

std::string nft_where(const std::string& table) { return "table inet " + table; }

}  // namespace vpnns
