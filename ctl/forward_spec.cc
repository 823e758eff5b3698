// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/forward_spec.h"

#include <charconv>
#include <vector>

#include "state/netns_marker.h"

namespace vpnns::ctl {
namespace {

Error bad(std::string_view text, const std::string& why) {
  return Error(Code::kInvalidArgument, "'" + printable_name(text) + "' is not a forward: " + why);
}

bool parse_number(std::string_view s, unsigned max, unsigned& out) {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return false;
  out = v;
  return true;
}

Result<std::uint16_t> port(std::string_view whole, std::string_view s, const char* which) {
  unsigned v = 0;
  if (!parse_number(s, 65535, v) || v == 0) {
    return bad(whole, std::string(which) + " '" + printable_name(s) + "' is not a port (1-65535)");
  }
  return static_cast<std::uint16_t>(v);
}

Result<std::array<std::uint8_t, 4>> address(std::string_view whole, std::string_view s) {
  std::array<std::uint8_t, 4> a{};
  std::size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t dot = i < 3 ? s.find('.', start) : s.size();
    unsigned v = 0;
    if (dot == std::string_view::npos || !parse_number(s.substr(start, dot - start), 255, v) ||
        (dot - start > 1 && s[start] == '0')) {
      return bad(whole, "host address '" + printable_name(s) + "' is not a dotted IPv4 address");
    }
    a[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
    start = dot + 1;
  }
  return a;
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = s.find(':', start);
    parts.push_back(s.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) return parts;
    start = colon + 1;
  }
}

std::string addr_text(const std::array<std::uint8_t, 4>& a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
         std::to_string(a[3]);
}

}  // namespace

Result<ForwardSpec> parse_forward_spec(std::string_view text, bool reverse, bool udp) {
  ForwardSpec spec;
  spec.reverse = reverse;
  spec.udp = udp;
  std::string_view body = text;
  if (const std::size_t slash = body.rfind('/'); slash != std::string_view::npos) {
    const std::string_view proto = body.substr(slash + 1);
    if (proto == "udp") {
      spec.udp = true;
    } else if (proto != "tcp") {
      return bad(text, "'/" + printable_name(proto) + "' is neither /tcp nor /udp");
    }
    body = body.substr(0, slash);
  }
  const auto parts = split(body);
  if (parts.size() != 2 && parts.size() != 3) {
    return bad(text, reverse ? "expected NS_PORT:[HOST_ADDR:]HOST_PORT"
                             : "expected [HOST_ADDR:]HOST_PORT:NS_PORT");
  }
  const bool has_addr = parts.size() == 3;
  if (reverse) {
    VPNNS_ASSIGN_OR_RETURN(spec.ns_port, port(text, parts[0], "namespace port"));
    if (has_addr) {
      VPNNS_ASSIGN_OR_RETURN(spec.host_addr, address(text, parts[1]));
    }
    VPNNS_ASSIGN_OR_RETURN(spec.host_port, port(text, parts.back(), "host port"));
  } else {
    if (has_addr) {
      VPNNS_ASSIGN_OR_RETURN(spec.host_addr, address(text, parts[0]));
    }
    VPNNS_ASSIGN_OR_RETURN(spec.host_port, port(text, parts[has_addr ? 1 : 0], "host port"));
    VPNNS_ASSIGN_OR_RETURN(spec.ns_port, port(text, parts.back(), "namespace port"));
  }
  return spec;
}

SocketEndpoint ns_endpoint(const ForwardSpec& spec) {
  SocketKind kind = spec.udp ? SocketKind::kUdpConnect : SocketKind::kTcpConnect;
  if (spec.reverse) kind = spec.udp ? SocketKind::kUdpBind : SocketKind::kTcpListen;
  return SocketEndpoint{kind, {127, 0, 0, 1}, spec.ns_port};
}

std::string host_text(const ForwardSpec& spec) {
  return addr_text(spec.host_addr) + ":" + std::to_string(spec.host_port);
}

std::string describe(const ForwardSpec& spec, const std::string& netns) {
  const std::string ns = "127.0.0.1:" + std::to_string(spec.ns_port) + " in namespace " + netns;
  const std::string proto = spec.udp ? "udp " : "tcp ";
  if (spec.reverse) return proto + ns + " -> host " + host_text(spec);
  return proto + "host " + host_text(spec) + " -> " + ns;
}

}  // namespace vpnns::ctl
