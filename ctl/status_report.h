// The report of `vpnnsctl status`: per instance, the state file's word, the kernel's word, and
// every place where they disagree — as text for people and as one JSON document for programs.
//
// Pure: it is given what was read (state file, liveness, KernelView) and decides health and
// words, so tests/unit/status_report_test.cc covers every rule without a kernel.
//
// Health. An instance is healthy when it has no problems:
//   * its state file could be read, and the helper it names is running (same pid, same start
//     time, named vpnns-helper; otherwise the file is *stale*: the helper was killed and left
//     what it had set up — `vpnnsctl reset` is for that) and so is openvpn;
//   * as root, the kernel holds what the state file says the helper set up: the namespace (the
//     same one), the device (same ifindex, up while the tunnel is up), its addresses, vpnns's
//     routes, the DNS servers in resolv.conf, the DNS pin's table (dns=pin: owned by this helper,
//     with the pinned servers), the seal's table (owned by this helper, with the
//     sealed server addresses and accepted uids; none while the seal is inactive), every client
//     set with as many members as the helper put there; and the kernel could be read.
// A failed last event is shown but is not a problem by itself (a hostile push is refused and
// the tunnel carries on); what it left wrong shows up as a disagreement.
// Unprivileged, only the state file and liveness are judged, and the report says so.
//
// JSON, version 1 ("vpnnsctl_status": 1). Field names are stable; a new field may be added
// without a new version:
//
//   {"vpnnsctl_status": 1, "kernel_read": true|false, "healthy": true|false,
//    "instances": [{
//      "instance": "work", "state_file": "/run/vpnns/work.json",
//      "healthy": true, "stale": false, "problems": ["..."],
//      "helper": {"pid": 1234, "running": true}, "openvpn": {"pid": 1200, "running": true},
//      "state": {the state file's document (common/state.h)} | null,
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
//        "client_sets": null | [{"set", "exists", "members"}],
//        "errors": ["what could not be read"]}}]}
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/kernel_view.h"
#include "state/json.h"
#include "state/state.h"

namespace vpnns::ctl {

inline constexpr std::int64_t kStatusVersion = 1;

struct InstanceReport {
  std::string instance;
  std::string path;
  std::optional<InstanceState> state;
  std::string state_error;  // why `state` is missing
  bool helper_running = false;
  bool openvpn_running = false;
  std::optional<KernelView> kernel;  // read as root
  std::vector<std::string> problems;

  [[nodiscard]] bool healthy() const { return problems.empty(); }
  [[nodiscard]] bool stale() const { return state.has_value() && !helper_running; }
};

struct StatusReport {
  bool kernel_read = false;
  std::vector<InstanceReport> instances;

  [[nodiscard]] bool healthy() const;
};

// Fills in report.problems from what was read.
void evaluate(InstanceReport& report);

Json report_json(const StatusReport& report);

// `s` safe for a terminal: control characters (C0, DEL, C1) and bytes that are not UTF-8
// become '?'. Names and comments read from the kernel are anyone's with CAP_NET_ADMIN there.
std::string printable(std::string_view s);
// `now`: seconds since the epoch, for "12 s ago".
std::string report_text(const StatusReport& report, std::int64_t now);

}  // namespace vpnns::ctl
