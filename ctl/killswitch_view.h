// SPDX-License-Identifier: GPL-2.0-or-later
// The kill switches in vpnnsctl's network namespace, for `vpnnsctl status` and `vpnnsctl reset`.
//
// A kill switch outlives its helper on purpose (held: helper/killswitch.h), and a helper that
// exited cleanly with killswitch=lockdown leaves no state file. So status does not look for kill
// switches through the state files: it lists every table inet vpnns-ks-* in the namespace
// vpnnsctl runs in (openvpn's, normally the root namespace; elsewhere run it under
// `nsenter --net=...`), and reads each one's owner from its comment (kernel/killswitch_table.h)
// and its drop counters from the kernel. Active: its helper is running; held: it is not.
//
// Needs root (CAP_NET_ADMIN to read nftables).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kernel/killswitch_table.h"
#include "state/json.h"

namespace vpnns::ctl {

struct KillSwitchView {
  std::string table;
  std::optional<KillSwitchOwner> owner;  // nullopt: the comment is not vpnns's
  bool owner_running = false;            // its helper is running: active, else held
  KillSwitchState state;
};

// Every kill switch table in vpnnsctl's network namespace; an error if nftables cannot be read.
Result<std::vector<KillSwitchView>> read_killswitches();

// "kill switch: held (killswitch=yes, allow-lan=no) ..." lines, one per table.
std::string killswitch_text(const std::vector<KillSwitchView>& views, std::int64_t now);
Json killswitch_json(const std::vector<KillSwitchView>& views);

// `vpnnsctl reset NAME`: deletes table inet vpnns-ks-NAME if vpnns made it for NAME and its
// helper is not running; prints what it did. Returns false if something of vpnns's is left.
bool reset_killswitch(const std::string& instance);

}  // namespace vpnns::ctl
