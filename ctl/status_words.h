// SPDX-License-Identifier: GPL-2.0-or-later
// How a state file's values are written in words, shared by the comparison (status_report.cc)
// and the text report (status_text.cc), so that a problem and the line above it quote a value
// the same way: "192.0.2.2/24 peer 192.0.2.1", "0.0.0.0/0 via 192.0.2.1 metric 5", "none".
#pragma once

#include <string>
#include <vector>

#include "common/ip.h"
#include "state/state.h"

namespace vpnns::ctl {

// The items' texts, separated by `sep`.
template <typename T, typename F>
std::string join(const std::vector<T>& items, F text, const char* sep = ", ") {
  std::string out;
  for (const T& i : items) {
    if (!out.empty()) out += sep;
    out += text(i);
  }
  return out;
}

std::string ip_text(const IpAddr& a);
std::string addr_text(const StateAddress& a);
// The kernel's default metrics (0 for IPv4, 1024 for IPv6) go unsaid.
std::string route_text(const StateRoute& r);
// "none" for an empty list.
std::string or_none(const std::string& s);

}  // namespace vpnns::ctl
