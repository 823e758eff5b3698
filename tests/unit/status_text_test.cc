// SPDX-License-Identifier: GPL-2.0-or-later
// `vpnnsctl status`'s text for people (ctl/status_text.h).
#include "ctl/status_text.h"

#include <gtest/gtest.h>

#include "tests/unit/status_fixtures.h"

namespace vpnns::ctl {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

TEST(StatusText, Compact) {
  StatusReport report;
  report.kernel_read = true;
  report.instances.push_back(report_of(client_state(), matching_kernel()));
  const std::string text = report_text(report, 1012);
  EXPECT_EQ(text.rfind("work (client): healthy\n", 0), 0u) << text;
  for (const char* want :
       {"  processes    helper pid 1234 running, openvpn pid 1200 running as uid 65534\n",
        "  namespace    'work', tun0 up, ifindex 3, mtu 1500\n",
        "  addresses    192.0.2.2/24, 2001:db8:100::2/64\n", "  routes       0.0.0.0/0, ::/0\n",
        "  dns          192.0.2.53; search example.test\n",
        "  dns pin      on 192.0.2.53 (table inet vpnns-dns); 2 packets dropped\n",
        "  seal         on 198.51.100.1 (table inet vpnns-work, accepting uids 0, 65534); 7 "
        "packets dropped\n",
        "(2 s ago): 2 routes\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin:\n" << text;
  }
  EXPECT_EQ(text.find("needs root"), std::string::npos);

  report.kernel_read = false;
  report.instances[0] = report_of(client_state(), std::nullopt, false);
  report.instances[0].state->last_event->message = "evil\x1b[2J";
  const std::string stale = report_text(report, 1012);
  EXPECT_NE(stale.find("work (client): STALE (its helper is gone)"), std::string::npos) << stale;
  EXPECT_NE(stale.find("helper pid 1234 GONE"), std::string::npos);
  EXPECT_NE(stale.find("  !            stale: helper pid 1234"), std::string::npos) << stale;
  EXPECT_NE(stale.find("reading the kernel's state needs root"), std::string::npos);
  EXPECT_EQ(stale.find('\x1b'), std::string::npos) << "control characters reach the terminal";
  EXPECT_EQ(report_text(StatusReport{}, 0), "no vpnns instances are running\n");
}

}  // namespace
}  // namespace vpnns::ctl
