// SPDX-License-Identifier: GPL-2.0-or-later
// The exec policy: which users and groups may enter which vpnns namespace through vpnns-execd.
//
// Being in vpnns-execd's group (vpnns) lets a user reach the service at all; the policy then
// says, per namespace, who may enter it. One function decides, decide_exec(), and every place
// that lets a peer into a namespace calls it (vpnns-execd's sessions; `vpnnsctl forward` too):
// there is no second copy of the rules to drift.
//
// Without a policy file the built-in default applies: the service's group may enter client
// namespaces only, never a server's (netns mode on a server: its namespace is a gateway that
// holds the tun to every client and the LAN link), nor a namespace whose marker records no
// role (an older helper's). The role comes from the namespace's marker, which only root writes
// (state/netns_marker.h).
//
// The file, /etc/vpnns/exec-policy, is trusted configuration (common/trusted_file.h: a regular
// file owned by root, not writable by group or others, in directories of the same kind). One
// rule a line, `#` starts a comment; the first rule that matches the caller and the namespace
// decides, and when none does, entry is refused. The file replaces the default entirely:
//
//   ACTION  SUBJECT                     NAMESPACE
//   allow   user:NAME|UID               NAME              a namespace by name
//   deny    group:NAME|GID              role:client       every client namespace
//           *  (every caller)           role:server       every server namespace
//                                       *                 every vpnns namespace
//
// A bad line (unknown word, unknown user or group, a namespace name that cannot be one, too
// many or too few words) makes the whole file invalid: every entry is then refused with the
// error, which names FILE:LINE. Nothing is ever allowed by a file that was not understood.
//
// The decision names the rule that made it ("/etc/vpnns/exec-policy:3: deny user:alice work",
// or "default: ..."), for the refusal the client sees and for the service's log.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/error.h"

namespace vpnns {

inline constexpr const char* kExecPolicyPath = "/etc/vpnns/exec-policy";

// Who asks: the kernel's record of the caller (SO_PEERCRED, SO_PEERGROUPS), never its word.
struct ExecCaller {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary
  std::string name;           // user name, or "uid N" (messages only)
};

// Where to: a namespace open_marked_netns() accepted, with the role its marker records.
struct ExecTarget {
  std::string netns;
  std::optional<Role> role;
};

// Where the policy comes from, and the group the default names (the service's --group).
struct ExecPolicySource {
  std::string path = kExecPolicyPath;
  gid_t group = 0;
  std::string group_name = "vpnns";
};

struct ExecDecision {
  bool allowed = false;
  // What decided: "FILE:LINE: RULE", "FILE: no rule matches", "FILE:LINE: <error>" or
  // "default: ...".
  std::string rule;
  // The refusal (or permission) as one sentence that names the caller, the namespace and rule.
  std::string text;
};

// THE decision: loads the policy (or takes the default) and applies it.
ExecDecision decide_exec(const ExecCaller& who, const ExecTarget& target,
                         const ExecPolicySource& source = {});

// --- The parts, for tests.

struct ExecRule {
  enum class Subject { kUser, kGroup, kAny };
  enum class Scope { kName, kRole, kAny };
  bool allow = false;
  Subject subject = Subject::kAny;
  std::uint32_t id = 0;  // uid or gid
  Scope scope = Scope::kAny;
  std::string netns;          // kName
  Role role = Role::kClient;  // kRole
  std::string where;          // "FILE:LINE"
  std::string text;           // the rule as written, words single-spaced
};

// Name lookups (getpwnam_r/getgrnam_r unless a test gives its own); nullopt: no such name.
struct ExecNameLookup {
  std::function<std::optional<uid_t>(const std::string&)> user;
  std::function<std::optional<gid_t>(const std::string&)> group;
};
ExecNameLookup system_name_lookup();

// Parses the text of a policy file; errors name `file`:LINE.
Result<std::vector<ExecRule>> parse_exec_policy(std::string_view text, const std::string& file,
                                                const ExecNameLookup& lookup);

// Applies rules (nullopt: the default for `source`'s group).
ExecDecision apply_exec_policy(const std::optional<std::vector<ExecRule>>& rules,
                               const ExecCaller& who, const ExecTarget& target,
                               const ExecPolicySource& source);

}  // namespace vpnns
