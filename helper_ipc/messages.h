// SPDX-License-Identifier: GPL-2.0-or-later
// The typed messages that cross the socketpair between the plugin and the helper.
//
// A request carries only what openvpn learned from the network or from its own state for one
// event (addresses, routes, DNS, the remote's address); nothing in it says *where* to act — that
// is the configuration, fixed at open time. Every value here is already parsed (addresses are
// IpAddr, lengths are numbers), so the helper validates meaning, never syntax of address text.
//
// Bounds on counts and lengths are part of the protocol and enforced by the decoder
// (helper_ipc/wire.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "common/ip.h"

namespace vpnns {

inline constexpr std::uint16_t kProtocolVersion = 1;

inline constexpr std::size_t kMaxRoutes = 512;
inline constexpr std::size_t kMaxDnsServers = 8;
inline constexpr std::size_t kMaxDnsSearch = 8;
inline constexpr std::size_t kMaxMessageLength = 4096;
inline constexpr std::size_t kMaxWarnings = 16;

// argv[6] of UP/DOWN: "init" for the first open, "restart" for --up-restart.
enum class Context : std::uint8_t { kInit = 0, kRestart = 1 };

struct Ipv4Config {
  IpAddr local;
  std::uint8_t prefix_len;     // 32 for p2p/net30, from ifconfig_netmask for subnet
  std::optional<IpAddr> peer;  // ifconfig_remote (p2p/net30 topology)
  friend bool operator==(const Ipv4Config&, const Ipv4Config&) = default;
};

struct Ipv6Config {
  IpAddr local;
  std::uint8_t prefix_len;
  friend bool operator==(const Ipv6Config&, const Ipv6Config&) = default;
};

struct Route {
  Prefix dst;
  std::optional<IpAddr> gateway;
  std::optional<std::uint32_t> metric;
  friend bool operator==(const Route&, const Route&) = default;
};

struct DnsConfig {
  std::vector<IpAddr> servers;
  std::vector<std::string> search;
  friend bool operator==(const DnsConfig&, const DnsConfig&) = default;
};

struct UpRequest {
  std::string dev;
  std::uint32_t mtu = 0;
  Context context = Context::kInit;
  std::optional<Ipv4Config> v4;
  std::optional<Ipv6Config> v6;
  // The VPN server's address as openvpn's env has it (trusted_ip/trusted_ip6); the seal's
  // fallback when no IPCHANGE told the helper yet.
  std::optional<IpAddr> remote;
  friend bool operator==(const UpRequest&, const UpRequest&) = default;
};

struct RouteUpRequest {
  std::string dev;
  std::vector<Route> routes;
  DnsConfig dns;
  friend bool operator==(const RouteUpRequest&, const RouteUpRequest&) = default;
};

struct RoutePredownRequest {
  std::string dev;
  friend bool operator==(const RoutePredownRequest&, const RoutePredownRequest&) = default;
};

struct DownRequest {
  std::string dev;
  Context context = Context::kInit;
  friend bool operator==(const DownRequest&, const DownRequest&) = default;
};

struct IpChangeRequest {
  IpAddr remote;
  std::uint16_t port = 0;
  friend bool operator==(const IpChangeRequest&, const IpChangeRequest&) = default;
};

// openvpn 2.7 hands DNS only to its dns-updown command (OPENVPN-FACTS.md section 10), never to
// plugins: vpnns-dns-updown (plugin/dns_updown_main.cc), configured as that command, sends this
// over a socket of its own (helper/updown_socket.h). dns-up comes before UP at a connect and
// again at every restart; dns-down before DOWN and at every restart.
struct DnsUpdownRequest {
  bool up = true;   // dns-up, or dns-down (no DNS values)
  std::string dev;  // openvpn's `dev` (the tun's name in openvpn's namespace)
  DnsConfig dns;
  friend bool operator==(const DnsUpdownRequest&, const DnsUpdownRequest&) = default;
};

// Where the helper listens for vpnns-dns-updown: one socket per openvpn process, named by its pid.
inline constexpr const char* kDnsUpdownDir = "/run/vpnns/dns-updown";
inline std::string dns_updown_socket_path(long openvpn_pid,
                                          const std::string& dir = kDnsUpdownDir) {
  return dir + "/" + std::to_string(openvpn_pid);
}

// Sent by close_v1: tear down and exit.
struct CloseRequest {
  friend bool operator==(const CloseRequest&, const CloseRequest&) = default;
};

// --- Server side. A client is known by the number the plugin gave its per-client context
// (openvpn_plugin_client_constructor_v1): unique for the plugin's life, unlike a common name.

inline constexpr std::size_t kMaxCommonName = 64;  // X.509's upper bound for a CN

struct ClientConnectRequest {
  std::uint64_t client = 0;
  std::string common_name;
  friend bool operator==(const ClientConnectRequest&, const ClientConnectRequest&) = default;
};

struct ClientDisconnectRequest {
  std::uint64_t client = 0;
  std::string common_name;
  friend bool operator==(const ClientDisconnectRequest&, const ClientDisconnectRequest&) = default;
};

// learn-address: "add" and "update" come with the client now owning the address; "delete"
// comes with no client at all (openvpn reaps routes after the client is gone).
enum class LearnOp : std::uint8_t { kAdd = 0, kUpdate = 1, kDelete = 2 };

struct LearnAddressRequest {
  LearnOp op = LearnOp::kAdd;
  Prefix address{IpAddr(), 32};  // a VPN address (/32, /128) or an iroute subnet
  std::optional<std::uint64_t> client;
  std::string common_name;  // empty for delete
  friend bool operator==(const LearnAddressRequest&, const LearnAddressRequest&) = default;
};

using Request = std::variant<UpRequest, RouteUpRequest, RoutePredownRequest, DownRequest,
                             IpChangeRequest, CloseRequest, ClientConnectRequest,
                             ClientDisconnectRequest, LearnAddressRequest, DnsUpdownRequest>;

// The event name as openvpn's log and the helper's messages spell it.
const char* request_name(const Request& request);

// First message from the helper: it is up, speaks `version`, and is process `pid`.
struct Hello {
  std::uint16_t version = kProtocolVersion;
  std::uint32_t pid = 0;
  friend bool operator==(const Hello&, const Hello&) = default;
};

// The answer to every request (and, instead of Hello, a start-up failure).
struct Reply {
  Code code = Code::kOk;
  std::string message;                // the reason on failure; a summary on success
  std::vector<std::string> warnings;  // logged as warnings in either case
  friend bool operator==(const Reply&, const Reply&) = default;

  [[nodiscard]] bool ok() const { return code == Code::kOk; }
  static Reply from(const Status& status, std::string ok_summary = {});
};

}  // namespace vpnns
