// SPDX-License-Identifier: GPL-2.0-or-later
// The state file's "killswitch" member (state.h's schema; helper/killswitch.h): what the helper
// installed. The drop counters are not in it: they are the kernel's, read by vpnnsctl.
#include <nlohmann/json.hpp>

#include "state/state.h"

namespace vpnns {

Json killswitch_json(const StateKillSwitch& k) {
  return {{"table", k.table},
          {"mode", k.mode},
          {"allow_lan", k.allow_lan},
          {"since", k.since},
          {"tunnel", k.tunnel ? Json(*k.tunnel) : Json()}};
}

}  // namespace vpnns
