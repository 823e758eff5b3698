// SPDX-License-Identifier: GPL-2.0-or-later
// Client classes: which nftables sets a connecting client's addresses go into, by its
// certificate's common name.
//
//   # /etc/openvpn/server/classes — PATTERN SET[,SET...]
//   admin-*     inet/filter/admins
//   *.guest     inet/filter/guests,ip6/filter6/guests6
//
// PATTERN is a shell glob (fnmatch) on the common name; a client that matches several lines is
// in all of their sets, and every client is in the client-set= sets besides. The file is trusted
// configuration: read once, at helper start-up, only if root owns it and only root can write it
// (common/trusted_file.h); a malformed line stops openvpn at start with its line number. The
// common name, on the other hand, comes from the openvpn side: it is only ever matched, never
// used as a name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/error.h"

namespace vpnns {

struct ClassRule {
  std::string pattern;
  std::vector<SetRef> sets;
  int line = 0;
  friend bool operator==(const ClassRule&, const ClassRule&) = default;
};

// Parses the file's text; every bad line is reported, with its number.
Result<std::vector<ClassRule>> parse_classes(std::string_view text, const std::string& path);

// Reads and parses the file at `path` after checking who can write it.
Result<std::vector<ClassRule>> load_classes(const std::string& path);

// The sets of every rule whose pattern matches `common_name`, each once, in file order.
std::vector<SetRef> classes_of(const std::vector<ClassRule>& rules, std::string_view common_name);

}  // namespace vpnns
