// SPDX-License-Identifier: GPL-2.0-or-later
// `vpnnsctl status --json`'s document (ctl/status_json.h).
#include "ctl/status_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/status_fixtures.h"

namespace vpnns::ctl {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

// An object's member names, in order.
std::vector<std::string> keys(const Json& object) {
  std::vector<std::string> out;
  for (const auto& [key, value] : object.items()) out.push_back(key);
  return out;
}

TEST(StatusJson, Version1Layout) {
  StatusReport report;
  report.kernel_read = true;
  report.instances.push_back(report_of(client_state(), matching_kernel()));
  const Json j = report_json(report);
  EXPECT_EQ(keys(j),
            (std::vector<std::string>{"vpnnsctl_status", "kernel_read", "healthy", "instances"}));
  EXPECT_EQ(json_find(j, "vpnnsctl_status")->get<std::int64_t>(), 1);
  EXPECT_TRUE(json_find(j, "healthy")->get<bool>());
  const Json& i = (*json_find(j, "instances"))[0];
  EXPECT_EQ(keys(i),
            (std::vector<std::string>{"instance", "state_file", "healthy", "stale", "problems",
                                      "helper", "openvpn", "state", "kernel"}));
  EXPECT_EQ(*json_find(i, "state"), state_to_json(client_state()));
  EXPECT_EQ(json_dump(*json_find(i, "helper")), R"({"pid":1234,"running":true})");
  const Json& k = *json_find(i, "kernel");
  EXPECT_EQ(keys(k), (std::vector<std::string>{"openvpn_uid", "netns", "dns", "dns_pin", "seal",
                                               "client_sets", "errors"}));
  EXPECT_EQ(json_dump(*json_find(k, "dns_pin")),
            R"({"family":"inet","table":"vpnns-dns","exists":true,"owner_pid":1234,)"
            R"("servers":["192.0.2.53"],"dropped_packets":2})");
  EXPECT_EQ(json_dump(*json_find(k, "seal")),
            R"({"family":"inet","table":"vpnns-work",)"
            R"x("namespace":"openvpn's network namespace (pid 1200)","exists":true,)x"
            R"("owner_pid":1234,"servers":["198.51.100.1"],"uids":[65534,0],)"
            R"("dropped_packets":7})");
  EXPECT_EQ(json_dump(*json_find(*json_find(k, "netns"), "device")),
            R"({"name":"tun0","ifindex":3,"up":true,"mtu":1500})");
  EXPECT_TRUE(json_find(k, "client_sets")->is_null());
  // It parses back (one document).
  EXPECT_TRUE(json_parse(json_dump(j, true)));

  report.instances.push_back(report_of(client_state(), std::nullopt, false));
  EXPECT_FALSE(json_find(report_json(report), "healthy")->get<bool>());
}

}  // namespace
}  // namespace vpnns::ctl
