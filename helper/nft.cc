#include "helper/nft.h"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstring>

namespace vpnns {
namespace {

// Room for one message while it is built; messages here are far smaller.
constexpr std::size_t kMessageRoom = 16384;

}  // namespace

NftBatch::NftBatch(std::uint32_t first_seq) : first_seq_(first_seq), seq_(first_seq) {
  nftnl_batch_begin(reserve(), seq_++);
  commit(reinterpret_cast<const nlmsghdr*>(buf_.data() + used_));
}

char* NftBatch::reserve() {
  if (buf_.size() < used_ + kMessageRoom) buf_.resize(used_ + kMessageRoom, 0);
  std::memset(buf_.data() + used_, 0, kMessageRoom);
  return buf_.data() + used_;
}

void NftBatch::commit(const nlmsghdr* nlh) { used_ += NLMSG_ALIGN(nlh->nlmsg_len); }

nlmsghdr* NftBatch::add(std::uint16_t type, std::uint16_t family, std::uint16_t flags,
                        std::string what) {
  // The previous message is complete now that its builder is done; count it in before the
  // buffer may grow (which would move it).
  if (pending_ != nullptr) commit(pending_);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(reserve(), type, family,
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
    nftnl_batch_end(reserve(), seq_++);
    commit(reinterpret_cast<const nlmsghdr*>(buf_.data() + used_));
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

Status nft_dump(NetlinkSocket& sock, std::uint16_t type, std::uint16_t family,
                const std::string& table, const NetlinkSocket::Handler& handler,
                const std::string& what) {
  alignas(nlmsghdr) char buf[kMessageRoom] = {};
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, type, family, 0, 0);
  if (!table.empty()) mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table.c_str());
  return sock.dump(nlh, handler, what);
}

}  // namespace vpnns
