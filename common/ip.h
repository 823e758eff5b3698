// SPDX-License-Identifier: GPL-2.0-or-later
// IP addresses and prefixes as values.
//
// Everything openvpn tells the plugin about the network arrives as text in envp; the plugin turns
// it into these types once (strict inet_pton, no hostnames, no brackets, no scope ids) and the
// wire carries raw bytes, so the helper never parses address text at all. The predicates here
// (unicast, host bits) are what the helper's validation is built from.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vpnns {

enum class Family : std::uint8_t { kV4 = 4, kV6 = 6 };

inline int max_prefix_len(Family f) { return f == Family::kV4 ? 32 : 128; }

class IpAddr {
 public:
  IpAddr() = default;  // 0.0.0.0
  static IpAddr v4(const std::array<std::uint8_t, 4>& b);
  static IpAddr v6(const std::array<std::uint8_t, 16>& b);
  // From raw network-order bytes; size must be 4 or 16.
  static std::optional<IpAddr> from_bytes(std::span<const std::uint8_t> b);
  // Strict dotted-quad or RFC 4291 text; nothing else.
  static std::optional<IpAddr> parse(std::string_view text);
  static std::optional<IpAddr> parse(std::string_view text, Family family);

  [[nodiscard]] Family family() const { return family_; }
  [[nodiscard]] bool is_v4() const { return family_ == Family::kV4; }
  [[nodiscard]] std::span<const std::uint8_t> bytes() const {
    return {bytes_.data(), is_v4() ? 4u : 16u};
  }
  [[nodiscard]] std::string str() const;

  // A usable host address: not unspecified, loopback, multicast, broadcast/reserved (v4
  // 240/4), or IPv4-mapped (v6).
  [[nodiscard]] bool is_unicast() const;

  // ::ffff:a.b.c.d as the IPv4 address a.b.c.d (what goes on the wire); others unchanged.
  [[nodiscard]] IpAddr unmapped() const;

  // The address with all bits after the first `len` cleared.
  [[nodiscard]] IpAddr masked(int len) const;
  // The address with all bits after the first `len` set (an IPv4 subnet's broadcast address).
  [[nodiscard]] IpAddr last_in_prefix(int len) const;

  friend bool operator==(const IpAddr&, const IpAddr&) = default;
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;

 private:
  Family family_ = Family::kV4;
  std::array<std::uint8_t, 16> bytes_{};
};

struct Prefix {
  IpAddr addr;
  std::uint8_t len;

  // "a.b.c.d/n" or "x::y/n"; the length is required.
  static std::optional<Prefix> parse(std::string_view text);

  [[nodiscard]] Family family() const { return addr.family(); }
  [[nodiscard]] bool has_host_bits() const { return addr.masked(len) != addr; }
  [[nodiscard]] bool contains(const IpAddr& a) const {
    return a.family() == family() && a.masked(len) == addr.masked(len);
  }
  [[nodiscard]] std::string str() const { return addr.str() + "/" + std::to_string(len); }

  friend bool operator==(const Prefix&, const Prefix&) = default;
  friend auto operator<=>(const Prefix&, const Prefix&) = default;
};

// A contiguous IPv4 netmask ("255.255.255.0") as a prefix length; nullopt if not contiguous.
std::optional<std::uint8_t> netmask_to_prefix_len(const IpAddr& mask);

}  // namespace vpnns
