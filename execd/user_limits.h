// SPDX-License-Identifier: GPL-2.0-or-later
// The resource limits a user's login gets from /etc/security/limits.conf and limits.d, read the
// way pam_limits(8) reads them, for the commands vpnns-execd starts for that user.
//
// Why not run the PAM session stack instead: Debian's session stacks (common-session) include
// pam_systemd, which would register a logind session and move the command into a session scope
// of its own, competing with the scope vpnns-execd makes (user_session.h); so a stack of vpnns's
// own would be needed, with pam_limits its only useful module (loginuid is set directly, from
// the caller's uid). And PAM loads the modules its configuration names into the root process
// that serves an untrusted client, between fork and exec, inside the tunnel's network namespace,
// with no terminal to converse on. The two files' format is documented (limits.conf(5)) and
// small; reading them here gives the same limits, deterministically, with a log line that names
// each one, and is tested without a PAM configuration. What this gives up: other session modules
// (pam_selinux, pam_apparmor, pam_namespace) and pam_limits's module options (conf=, set_all).
//
// The semantics kept from pam_limits 1.5 (Debian 12's and 13's):
//  * limits.conf first, then every limits.d/*.conf in C collation order; a missing limits.conf
//    is an empty one. Lines: DOMAIN TYPE ITEM VALUE; '#' starts a comment; TYPE, ITEM and VALUE
//    are case-insensitive, DOMAIN is not.
//  * DOMAIN: a user name; @group; * (everyone); a uid range MIN:MAX, MIN: or :UID (exact);
//    @MIN:MAX or @MIN: (the primary gid in the range), @:GID (a member of GID). %group and %
//    apply to maxlogins only, which vpnns-execd does not count (it is not a login): ignored.
//  * Precedence: a user entry beats a group entry beats *; among equals, the later line wins.
//    (pam_limits's quirk kept: a "-" line whose soft part is beaten by a more specific entry
//    does not set the hard part either.)
//  * TYPE soft, hard or - (both). VALUE a number, or -1 / - / unlimited / infinity (not for
//    priority and nice). Units: cpu in minutes; fsize, data, stack, core, rss, memlock and as in
//    KiB; nofile "unlimited" means /proc/sys/fs/nr_open; nice N means RLIMIT_NICE 20-N.
//    priority is the nice value the command starts with. nonewprivs is always on here.
//  * A two-field line "DOMAIN -" that applies to the user means no limits at all: nothing set,
//    whatever came before it.
//  * Unknown items, types and malformed values are skipped with a warning, as pam_limits does.
//
// Group membership is the union of the group database's (the user's groups, as pam_limits sees
// them) and the groups the command runs with (the caller's, from SO_PEERGROUPS): a restrictive
// @group limit applies whichever way the user is in the group.
//
// Files read here decide the limits of other users' processes: each must be a regular file
// owned by root and writable by root alone (common/trusted_file.h), or the command is refused.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace vpnns {

inline constexpr const char* kLimitsConf = "/etc/security/limits.conf";
inline constexpr const char* kLimitsDir = "/etc/security/limits.d";

struct LimitsUser {
  std::string name;  // empty if the uid has no passwd entry
  uid_t uid = 0;
  gid_t primary_gid = 0;
  std::vector<gid_t> gids;               // every group the user is in, primary included
  std::vector<std::string> group_names;  // their names, where they have one
};

struct LimitsFile {
  std::string path;
  std::string text;
};

struct LimitValue {
  std::optional<rlim_t> soft;
  std::optional<rlim_t> hard;
  std::string soft_origin;  // "FILE:LINE" of the line that set it last
  std::string hard_origin;
};

struct LimitsPlan {
  std::array<LimitValue, RLIM_NLIMITS> limits;  // by resource (RLIMIT_*)
  std::optional<int> priority;                  // the nice value, if an entry set one
  std::string no_limits;                        // "FILE:LINE" of an applicable "DOMAIN -" line
  std::vector<std::string> warnings;            // "FILE:LINE: what was skipped and why"
};

// Pure: the limits `files` give `user`. `nr_open` stands for nofile "unlimited".
LimitsPlan evaluate_limits(const std::vector<LimitsFile>& files, const LimitsUser& user,
                           rlim_t nr_open);

// Reads `conf` (absent: nothing) and `dir`/*.conf (absent: nothing), sorted, each checked as
// root's alone.
Result<std::vector<LimitsFile>> read_limits_files(const std::string& conf = kLimitsConf,
                                                  const std::string& dir = kLimitsDir);

// limits.conf's name of a resource ("nofile"), or "resource N".
std::string limit_item_name(int resource);

}  // namespace vpnns
