// SPDX-License-Identifier: GPL-2.0-or-later
// envp/argv of an openvpn event → one typed request. Pure: no I/O, no openvpn types.
//
// openvpn hands a plugin its whole environment set: pushed options, certificate fields, its own
// settings. Only a few named variables matter for each event; everything else is ignored. Values
// are parsed strictly (addresses with inet_pton, numbers without sign or spaces, names with the
// rules in common/names.h); a value that does not parse fails the event with a message quoting
// the variable, and no request is sent. Semantic checks (is this gateway reachable, is this the
// pinned device) are the helper's: the plugin runs inside openvpn and is not trusted for them.
//
// A few pushed options cannot be honoured inside an isolated namespace and are dropped with a
// warning rather than failing the event: routes via `net_gateway` (the namespace has no way out
// but the tunnel), DNS servers on a port other than 53 or over DoT/DoH (resolv.conf cannot say
// so).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "helper_ipc/messages.h"

namespace vpnns {

// A read-only view of a NULL-terminated "name=value" array. Later duplicates are ignored, as
// getenv() would.
class Env {
 public:
  explicit Env(const char* const* envp);
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;

 private:
  const char* const* envp_;
};

template <typename T>
struct Parsed {
  T request;
  std::vector<std::string> warnings;
};

Result<Parsed<UpRequest>> parse_up(const Env& env);
// `netns_mode`: the tunnel leaves openvpn's namespace, so openvpn must not route it itself.
Result<Parsed<RouteUpRequest>> parse_route_up(const Env& env, bool netns_mode);
Result<Parsed<RoutePredownRequest>> parse_route_predown(const Env& env);
// The env of openvpn 2.7's dns-updown command: script_type dns-up|dns-down, dev, dns_*.
Result<Parsed<DnsUpdownRequest>> parse_dns_updown(const Env& env);
Result<Parsed<DownRequest>> parse_down(const Env& env);
// argv[1] of IPCHANGE is "[AF_INET]192.0.2.1 1194"; env has trusted_ip(6)/trusted_port too.
Result<Parsed<IpChangeRequest>> parse_ipchange(const Env& env, const char* const* argv);

// Server side. `client` is the number of the client's per-client context.
Result<Parsed<ClientConnectRequest>> parse_client_connect(const Env& env, std::uint64_t client);
Result<Parsed<ClientDisconnectRequest>> parse_client_disconnect(const Env& env,
                                                                std::uint64_t client);
// argv = [so, "add"|"update"|"delete", "10.8.0.2" | "10.1.0.0/16" | "2001:db8::2", [cn]];
// `client` is absent for a delete (openvpn calls it without the client's context).
Result<Parsed<LearnAddressRequest>> parse_learn_address(const char* const* argv,
                                                        std::optional<std::uint64_t> client);

}  // namespace vpnns
