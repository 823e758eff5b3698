// SPDX-License-Identifier: GPL-2.0-or-later
// A server's events (envp.h): client-connect and client-disconnect name the client by its
// per-client context and its certificate's common name; learn-address's argv says what openvpn
// learned (add, update or delete of one address or prefix, IPv4-mapped IPv6 read as IPv4).
// Whether the address belongs to the client is the helper's question, not the plugin's.
#include <algorithm>

#include "plugin/envp.h"
#include "plugin/envp_values.h"

namespace vpnns {

using envp::bad;
using envp::common_name;
using envp::common_name_of;

Result<Parsed<ClientConnectRequest>> parse_client_connect(const Env& env, std::uint64_t client) {
  Parsed<ClientConnectRequest> out;
  out.request.client = client;
  VPNNS_ASSIGN_OR_RETURN(out.request.common_name, common_name_of(env));
  return out;
}

Result<Parsed<ClientDisconnectRequest>> parse_client_disconnect(const Env& env,
                                                                std::uint64_t client) {
  Parsed<ClientDisconnectRequest> out;
  out.request.client = client;
  VPNNS_ASSIGN_OR_RETURN(out.request.common_name, common_name_of(env));
  return out;
}

Result<Parsed<LearnAddressRequest>> parse_learn_address(const char* const* argv,
                                                        std::optional<std::uint64_t> client) {
  std::vector<std::string_view> args;
  for (const char* const* a = argv != nullptr && argv[0] != nullptr ? argv + 1 : nullptr;
       a != nullptr && *a != nullptr; ++a) {
    args.emplace_back(*a);
  }
  if (args.size() < 2 || args.size() > 3) {
    return Error(Code::kInvalidArgument, "learn-address: expected 'OP ADDRESS [CN]', got " +
                                             std::to_string(args.size()) + " arguments");
  }
  Parsed<LearnAddressRequest> out;
  LearnAddressRequest& r = out.request;
  if (args[0] == "add") {
    r.op = LearnOp::kAdd;
  } else if (args[0] == "update") {
    r.op = LearnOp::kUpdate;
  } else if (args[0] == "delete") {
    r.op = LearnOp::kDelete;
  } else {
    return bad("learn-address operation", args[0], "expected add, update or delete");
  }
  const std::string_view text = args[1];
  std::optional<Prefix> prefix;
  if (text.find('/') != std::string_view::npos) {
    prefix = Prefix::parse(text);
  } else if (auto a = IpAddr::parse(text)) {
    prefix = Prefix{*a, static_cast<std::uint8_t>(max_prefix_len(a->family()))};
  }
  if (!prefix) {
    // A tap server learns MAC addresses ("aa:bb:cc:dd:ee:ff@0"): not for IP address sets.
    return bad("learn-address address", text,
               "not an IP address or prefix (dev tap is not supported)");
  }
  r.address =
      Prefix{prefix->addr.unmapped(),
             static_cast<std::uint8_t>(prefix->addr.is_v4() || !prefix->addr.unmapped().is_v4()
                                           ? prefix->len
                                           : std::max(0, prefix->len - 96))};
  if (r.op != LearnOp::kDelete) {
    if (!client) {
      return Error(Code::kInvalidArgument,
                   "learn-address " + std::string(args[0]) + " without the client's context");
    }
    r.client = client;
    if (args.size() == 3) {
      VPNNS_ASSIGN_OR_RETURN(r.common_name, common_name("learn-address common name", args[2]));
    }
  }
  return out;
}

}  // namespace vpnns
