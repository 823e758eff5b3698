// SPDX-License-Identifier: GPL-2.0-or-later
// What `vpnnsctl forward` relays: its specs, parsed from the command line. Pure (unit-tested).
//
//   [HOST_ADDR:]HOST_PORT:NS_PORT[/udp]     listen on the host (default 127.0.0.1), relay each
//                                           connection to 127.0.0.1:NS_PORT in the namespace
//   NS_PORT:[HOST_ADDR:]HOST_PORT[/udp]     (--reverse) listen on 127.0.0.1:NS_PORT in the
//                                           namespace, relay each connection to the host's
//                                           HOST_ADDR:HOST_PORT (default 127.0.0.1)
//
// HOST_ADDR is a dotted IPv4 address (0.0.0.0 listens on every host address: the LAN may then
// reach the service — the user's choice, said on stderr). Ports are 1..65535. `/udp` (or --udp
// for every spec) relays datagrams instead of a stream.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "exec_ipc/socket_wire.h"

namespace vpnns::ctl {

struct ForwardSpec {
  bool reverse = false;
  bool udp = false;
  std::array<std::uint8_t, 4> host_addr{127, 0, 0, 1};
  std::uint16_t host_port = 0;
  std::uint16_t ns_port = 0;
  friend bool operator==(const ForwardSpec&, const ForwardSpec&) = default;
};

Result<ForwardSpec> parse_forward_spec(std::string_view text, bool reverse, bool udp);

// The namespace's side of the spec, as vpnns-execd is asked for it.
SocketEndpoint ns_endpoint(const ForwardSpec& spec);

// "127.0.0.1:8080"
std::string host_text(const ForwardSpec& spec);
// "tcp host 127.0.0.1:8080 -> 127.0.0.1:80 in namespace NAME" (or <- for --reverse)
std::string describe(const ForwardSpec& spec, const std::string& netns);

}  // namespace vpnns::ctl
