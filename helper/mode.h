// SPDX-License-Identifier: GPL-2.0-or-later
// The shape every mode (tunnel.h, seal.h, dns_pin.h, client_sets.h) gives each request it takes:
//
//   validate(req)        Status   the request against the mode's own state; pure, no I/O. The
//                                 one place this request is judged: a refusal here changes
//                                 nothing, in the kernel or in the mode.
//   plan(req, warnings)  Result<Plan>  what must change: the desired state next to what the
//                                 kernel holds now (it reads, never writes).
//   apply(plan, warnings) Result<std::string>  the change as one transaction (rtnetlink: the
//                                 set of requests, undone on failure, kernel_ops.h; nftables:
//                                 one batch), then what the mode believes; a summary for
//                                 openvpn's log.
//
// run_mode() is the only caller of the three, so no mode can plan a request it did not validate.
// The service (service.h) validates every mode a request concerns before it applies any.
#pragma once

#include <concepts>
#include <string>
#include <vector>

#include "common/error.h"

namespace vpnns {

using Warnings = std::vector<std::string>;

template <typename M, typename Req>
concept ModeFor = requires(M& mode, const Req& req, Warnings& warnings) {
  { mode.validate(req) } -> std::same_as<Status>;
  { mode.apply(*mode.plan(req, warnings), warnings) } -> std::same_as<Result<std::string>>;
};

// Plans and applies a request that validate() accepted.
template <typename Req, ModeFor<Req> M>
Result<std::string> plan_and_apply(M& mode, const Req& req, Warnings& warnings) {
  VPNNS_ASSIGN_OR_RETURN(auto plan, mode.plan(req, warnings));
  return mode.apply(plan, warnings);
}

// Validates, plans and applies one request.
template <typename Req, ModeFor<Req> M>
Result<std::string> run_mode(M& mode, const Req& req, Warnings& warnings) {
  VPNNS_TRY(mode.validate(req));
  return plan_and_apply(mode, req, warnings);
}

}  // namespace vpnns
