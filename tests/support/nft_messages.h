// SPDX-License-Identifier: GPL-2.0-or-later
// Reading back the nftables batches vpnns builds, for the unit tests that compare them with what
// `nft --debug=netlink` generates: split a batch into its messages, and print a rule's
// expressions the way libnftnl does ("[ meta load nfproto => reg 1 ]", one per line).
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>

#include <gtest/gtest.h>

#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/nft.h"

namespace vpnns::testing {

inline std::vector<const nlmsghdr*> nft_messages(std::span<const char> bytes) {
  std::vector<const nlmsghdr*> out;
  int len = static_cast<int>(bytes.size());
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(bytes.data()); mnl_nlmsg_ok(nlh, len);
       nlh = mnl_nlmsg_next(nlh, &len)) {
    out.push_back(nlh);
  }
  return out;
}

// NFT_MSG_* of an nftables message.
inline int nft_msg_type(const nlmsghdr* nlh) { return nlh->nlmsg_type & 0xff; }

// The expression lines of the rule in a NEWRULE message.
inline std::string nft_rule_expressions(const nlmsghdr* nlh) {
  NftRule r(nftnl_rule_alloc());
  EXPECT_EQ(nftnl_rule_nlmsg_parse(nlh, r.get()), 0);
  char buf[4096];
  nftnl_rule_snprintf(buf, sizeof buf, r.get(), NFTNL_OUTPUT_DEFAULT, 0);
  std::istringstream in(buf);
  std::string line, out;
  while (std::getline(in, line)) {
    const auto at = line.find('[');
    if (at != std::string::npos) out += line.substr(at) + "\n";
  }
  return out;
}

}  // namespace vpnns::testing
