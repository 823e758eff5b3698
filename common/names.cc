// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/names.h"

namespace vpnns {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool is_simple_name(std::string_view name, std::size_t max_len) {
  if (name.empty() || name.size() > max_len || name == "." || name == "..") return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

}  // namespace

bool is_valid_netns_name(std::string_view name) { return is_simple_name(name, 64); }

bool is_valid_ifname(std::string_view name) { return is_simple_name(name, 15); }

bool is_valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 254) return false;
  if (name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  // Labels of 1-63 letters, digits, '-' and '_', not beginning or ending with '-' (RFC 1123).
  std::size_t label = 0;
  char last = '.';
  for (char c : name) {
    if (c == '.') {
      if (label == 0 || last == '-') return false;
      label = 0;
      last = c;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok || ++label > 63 || (label == 1 && c == '-')) return false;
    last = c;
  }
  return label > 0 && last != '-';
}

}  // namespace vpnns
