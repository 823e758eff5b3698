// SPDX-License-Identifier: GPL-2.0-or-later
// Address parsing relies on glibc's inet_pton, which is strict: exactly four decimal parts with
// no leading zeros for IPv4, RFC 4291 text for IPv6, no scope ids, no surrounding space.
#include "common/ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace vpnns {

IpAddr IpAddr::v4(const std::array<std::uint8_t, 4>& b) {
  IpAddr a;
  a.family_ = Family::kV4;
  std::copy(b.begin(), b.end(), a.bytes_.begin());
  return a;
}

IpAddr IpAddr::v6(const std::array<std::uint8_t, 16>& b) {
  IpAddr a;
  a.family_ = Family::kV6;
  a.bytes_ = b;
  return a;
}

std::optional<IpAddr> IpAddr::from_bytes(std::span<const std::uint8_t> b) {
  IpAddr a;
  if (b.size() == 4) {
    a.family_ = Family::kV4;
  } else if (b.size() == 16) {
    a.family_ = Family::kV6;
  } else {
    return std::nullopt;
  }
  std::copy(b.begin(), b.end(), a.bytes_.begin());
  return a;
}

std::optional<IpAddr> IpAddr::parse(std::string_view text, Family family) {
  // INET6_ADDRSTRLEN (46) includes the terminating NUL.
  char buf[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddr a;
  a.family_ = family;
  const int af = family == Family::kV4 ? AF_INET : AF_INET6;
  if (inet_pton(af, buf, a.bytes_.data()) != 1) return std::nullopt;
  return a;
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parse(text, Family::kV6);
  return parse(text, Family::kV4);
}

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN];
  const int af = is_v4() ? AF_INET : AF_INET6;
  if (inet_ntop(af, bytes_.data(), buf, sizeof buf) == nullptr) return "?";
  return buf;
}

bool IpAddr::is_unicast() const {
  const auto& b = bytes_;
  if (is_v4()) {
    if (b[0] == 0 || b[0] == 127) return false;  // "this network", loopback
    if (b[0] >= 224) return false;               // multicast, reserved, limited broadcast
    return true;
  }
  static constexpr std::array<std::uint8_t, 16> kZero{};
  std::array<std::uint8_t, 16> loopback{};
  loopback[15] = 1;
  if (b == kZero || b == loopback) return false;
  if (b[0] == 0xff) return false;  // multicast
  // ::ffff:0:0/96, IPv4-mapped: an IPv4 address in IPv6 clothing.
  if (std::all_of(b.begin(), b.begin() + 10, [](std::uint8_t x) { return x == 0; }) &&
      b[10] == 0xff && b[11] == 0xff) {
    return false;
  }
  return true;
}

IpAddr IpAddr::unmapped() const {
  if (is_v4()) return *this;
  const bool mapped =
      std::all_of(bytes_.begin(), bytes_.begin() + 10, [](std::uint8_t x) { return x == 0; }) &&
      bytes_[10] == 0xff && bytes_[11] == 0xff;
  if (!mapped) return *this;
  return v4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

IpAddr IpAddr::masked(int len) const {
  IpAddr out = *this;
  const int total = max_prefix_len(family_);
  len = std::clamp(len, 0, total);
  for (int bit = len; bit < total; ++bit) {
    out.bytes_[static_cast<std::size_t>(bit / 8)] &=
        static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  return out;
}

IpAddr IpAddr::last_in_prefix(int len) const {
  IpAddr out = *this;
  const int total = max_prefix_len(family_);
  len = std::clamp(len, 0, total);
  for (int bit = len; bit < total; ++bit) {
    out.bytes_[static_cast<std::size_t>(bit / 8)] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
  }
  return out;
}

std::optional<Prefix> Prefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = IpAddr::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const std::string_view len_text = text.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 3) return std::nullopt;
  unsigned len = 0;
  const auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || end != len_text.data() + len_text.size()) return std::nullopt;
  if (len_text.size() > 1 && len_text[0] == '0') return std::nullopt;
  if (len > static_cast<unsigned>(max_prefix_len(addr->family()))) return std::nullopt;
  return Prefix{*addr, static_cast<std::uint8_t>(len)};
}

std::optional<std::uint8_t> netmask_to_prefix_len(const IpAddr& mask) {
  if (!mask.is_v4()) return std::nullopt;
  std::uint32_t m = 0;
  for (std::uint8_t b : mask.bytes()) m = (m << 8) | b;
  // Contiguous means: the inverted mask plus one is a power of two (or zero for /0).
  const std::uint32_t inv = ~m;
  if ((inv & (inv + 1)) != 0) return std::nullopt;
  int len = 0;
  while (len < 32 && (m & (0x80000000u >> len)) != 0) ++len;
  return static_cast<std::uint8_t>(len);
}

}  // namespace vpnns
