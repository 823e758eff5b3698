// SPDX-License-Identifier: GPL-2.0-or-later
// nftables transactions: one BEGIN ... END batch per change, built with libnftnl.
//
// NftBatch collects the messages of one transaction in a growable buffer, numbering them and
// remembering what each one does, so that the kernel's error for message N can be reported as
// "adding set server4 to table inet vpnns-work: File exists". Every message asks for an ack;
// the kernel applies all or nothing. Building is pure (tests/unit parses the bytes back with
// libnftnl); sending goes through a long-lived NetlinkSocket (netlink.h).
//
// The small owners below give every libnftnl object a deleter, so no path leaks one.
#pragma once

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netlink.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"
#include "kernel/netlink.h"

namespace vpnns {

struct NftDeleter {
  void operator()(nftnl_table* p) const { nftnl_table_free(p); }
  void operator()(nftnl_chain* p) const { nftnl_chain_free(p); }
  void operator()(nftnl_set* p) const { nftnl_set_free(p); }
  void operator()(nftnl_set_elem* p) const { nftnl_set_elem_free(p); }
  void operator()(nftnl_rule* p) const { nftnl_rule_free(p); }
  void operator()(nftnl_expr* p) const { nftnl_expr_free(p); }
  void operator()(nftnl_obj* p) const { nftnl_obj_free(p); }
};
using NftTable = std::unique_ptr<nftnl_table, NftDeleter>;
using NftChain = std::unique_ptr<nftnl_chain, NftDeleter>;
using NftSet = std::unique_ptr<nftnl_set, NftDeleter>;
using NftRule = std::unique_ptr<nftnl_rule, NftDeleter>;
using NftObj = std::unique_ptr<nftnl_obj, NftDeleter>;

class NftBatch {
 public:
  // `first_seq`: the sequence number of the BEGIN message (take it from the socket's
  // next_seq()); nft_commit() moves the socket's counter past the batch.
  explicit NftBatch(std::uint32_t first_seq);

  // Appends a message header for `type` (NFT_MSG_*) and returns it for the payload builder,
  // with `room` bytes to build in. NLM_F_ACK is always added. `what` describes the message for
  // error reports.
  nlmsghdr* add(std::uint16_t type, std::uint16_t family, std::uint16_t flags, std::string what,
                std::size_t room = kDefaultRoom);

  // Enough for any single object vpnns builds but a long element list (see add()'s `room`).
  static constexpr std::size_t kDefaultRoom = 4096;
  // The most one message can need: an element list is one attribute of at most 64 KiB.
  static constexpr std::size_t kMaxRoom = 72 * 1024;

  // Seals the batch with END and returns the bytes to send.
  std::span<const char> finish();

  [[nodiscard]] std::uint32_t first_seq() const { return first_seq_; }
  [[nodiscard]] std::uint32_t last_seq() const { return seq_ - 1; }
  [[nodiscard]] std::string describe(std::uint32_t seq) const;
  [[nodiscard]] std::size_t size() const { return what_.size(); }  // messages besides BEGIN/END

  // The message bytes (for tests): BEGIN, the messages, END once finished.
  [[nodiscard]] std::span<const char> bytes() const { return {buf_.get(), used_}; }

 private:
  char* reserve(std::size_t room);
  void commit(const nlmsghdr* nlh);

  // Grown by hand, room by room as messages need it: growth stays small enough to come from the
  // heap rather than from fresh mappings (which cost page faults on every event).
  std::unique_ptr<char[]> buf_;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;

  std::uint32_t first_seq_;
  std::uint32_t seq_;
  std::vector<std::string> what_;  // indexed by seq - first_seq - 1
  nlmsghdr* pending_ = nullptr;    // the last message added, until its length is counted
  bool finished_ = false;
};

// Sends `batch` over `sock` (a NETLINK_NETFILTER socket) and waits for every ack.
Status nft_commit(NetlinkSocket& sock, NftBatch& batch);

// NFPROTO_* of an nftables family name (ip, ip6, inet; anything else is taken for inet).
std::uint16_t nfproto_of(const std::string& family);
// "table inet NAME", for messages about the tables vpnns owns (all inet).
std::string nft_where(const std::string& table);

}  // namespace vpnns
