// SPDX-License-Identifier: GPL-2.0-or-later
// `vpnnsctl status --json`: the status report (status_report.h) as one JSON document.
//
// JSON, version 1 ("vpnnsctl_status": 1). Field names are stable; a new field may be added
// without a new version:
//
//   {"vpnnsctl_status": 1, "kernel_read": true|false, "healthy": true|false,
//    "instances": [{
//      "instance": "work", "state_file": "/run/vpnns/work.json",
//      "healthy": true, "stale": false, "problems": ["..."],
//      "helper": {"pid": 1234, "running": true}, "openvpn": {"pid": 1200, "running": true},
//      "state": {the state file's document (state/state.h)} | null,
//      "kernel": null | {                                   null unless read as root
//        "openvpn_uid": 65534 | null,
//        "netns": null | {"name", "exists", "dev", "ino", "links": [...],
//                         "device": null | {"name", "ifindex", "up", "mtu"},
//                         "addresses": [{"address", "peer"}], "routes": [{"dst", "gateway",
//                         "metric"}]},                      routes: main table, proto vpnns
//        "dns": null | {"path", "exists", "written_by_vpnns", "servers": [...], "search": [...]},
//        "dns_pin": null | {"family": "inet", "table", "exists", "owner_pid", "servers": [...],
//                           "dropped_packets"},          dns=pin: the table in the namespace
//        "seal": null | {"family": "inet", "table", "namespace", "exists", "owner_pid",
//                        "servers": [...], "uids": [...] | null, "dropped_packets"},
//        "client_sets": null | [{"set", "exists", "members" (this instance's), "total",
//                                 "others": {INSTANCE or "" (by hand): count}}],
//        "errors": ["what could not be read"]}}]}
#pragma once

#include <cstdint>

#include "ctl/status_report.h"
#include "state/json.h"

namespace vpnns::ctl {

inline constexpr std::int64_t kStatusVersion = 1;

Json report_json(const StatusReport& report);

}  // namespace vpnns::ctl
