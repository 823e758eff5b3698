// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/exec_policy.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <sstream>

#include "common/names.h"
#include "common/read_fd.h"
#include "common/trusted_file.h"

namespace vpnns {
namespace {

// A policy is a few lines; anything this long is not one.
constexpr std::size_t kMaxPolicyText = 64 * 1024;

std::optional<std::uint32_t> number(std::string_view s) {
  std::uint32_t n = 0;
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 80))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out + (s.size() > 80 ? "...'" : "'");
}

std::string caller_text(const ExecCaller& who) {
  return "user " + who.name + " (uid " + std::to_string(who.uid) + ")";
}

std::string target_text(const ExecTarget& t) {
  std::string kind = !t.role                    ? "whose marker records no role"
                     : *t.role == Role::kServer ? "a server's"
                                                : "a client's";
  return "network namespace '" + t.netns + "' (" + kind + ")";
}

bool in_group(const ExecCaller& who, gid_t gid) {
  return who.gid == gid || std::find(who.groups.begin(), who.groups.end(), gid) != who.groups.end();
}

bool matches(const ExecRule& r, const ExecCaller& who, const ExecTarget& t) {
  switch (r.subject) {
    case ExecRule::Subject::kUser:
      if (who.uid != r.id) return false;
      break;
    case ExecRule::Subject::kGroup:
      if (!in_group(who, r.id)) return false;
      break;
    case ExecRule::Subject::kAny:
      break;
  }
  switch (r.scope) {
    case ExecRule::Scope::kName:
      return t.netns == r.netns;
    case ExecRule::Scope::kRole:
      return t.role && *t.role == r.role;
    case ExecRule::Scope::kAny:
      return true;
  }
  return false;
}

ExecDecision decision(bool allowed, std::string rule, const ExecCaller& who, const ExecTarget& t) {
  ExecDecision d;
  d.allowed = allowed;
  d.rule = std::move(rule);
  d.text = caller_text(who) + (allowed ? " may enter " : " may not enter ") + target_text(t) +
           ": " + (allowed ? "allowed by " : "refused by ") + d.rule;
  return d;
}

// The policy file's rules; nullopt when there is no file (the default applies).
Result<std::optional<std::vector<ExecRule>>> load(const std::string& path) {
  struct stat st = {};
  if (::lstat(path.c_str(), &st) < 0) {
    const int err = errno;
    if (err == ENOENT) return std::optional<std::vector<ExecRule>>();
    return sys_error(path, err);
  }
  VPNNS_ASSIGN_OR_RETURN(UniqueFd fd, open_trusted_file(path, "exec-policy", Access::kRead));
  VPNNS_ASSIGN_OR_RETURN(std::string text, read_fd(fd.get(), kMaxPolicyText + 1, path));
  if (text.size() > kMaxPolicyText) {
    return Error(Code::kInvalidArgument, path + ": over 64 KiB; not a policy");
  }
  VPNNS_ASSIGN_OR_RETURN(auto rules, parse_exec_policy(text, path, system_name_lookup()));
  return std::optional<std::vector<ExecRule>>(std::move(rules));
}

}  // namespace

ExecNameLookup system_name_lookup() {
  ExecNameLookup l;
  l.user = [](const std::string& name) -> std::optional<uid_t> {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
      return std::nullopt;
    }
    return pw.pw_uid;
  };
  l.group = [](const std::string& name) -> std::optional<gid_t> {
    std::vector<char> buf(65536);
    group gr{};
    group* found = nullptr;
    if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) {
      return std::nullopt;
    }
    return gr.gr_gid;
  };
  return l;
}

Result<std::vector<ExecRule>> parse_exec_policy(std::string_view text, const std::string& file,
                                                const ExecNameLookup& lookup) {
  std::vector<ExecRule> rules;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    std::vector<std::string> words;
    std::istringstream in{std::string(line)};
    for (std::string w; in >> w;) words.push_back(w);
    if (words.empty()) continue;

    ExecRule r;
    r.where = file + ":" + std::to_string(line_no);
    auto bad = [&](const std::string& why) {
      return Error(Code::kInvalidArgument, r.where + ": " + why +
                                               " (a rule is: allow|deny user:NAME|group:NAME|* " +
                                               "NAMESPACE|role:client|role:server|*)");
    };
    if (words.size() != 3) {
      return bad("expected 3 words, found " + std::to_string(words.size()));
    }
    if (words[0] == "allow" || words[0] == "deny") {
      r.allow = words[0] == "allow";
    } else {
      return bad("unknown action " + quoted(words[0]));
    }

    const std::string& subject = words[1];
    if (subject == "*") {
      r.subject = ExecRule::Subject::kAny;
    } else if (subject.starts_with("user:") || subject.starts_with("group:")) {
      const bool user = subject.starts_with("user:");
      const std::string name = subject.substr(user ? 5 : 6);
      r.subject = user ? ExecRule::Subject::kUser : ExecRule::Subject::kGroup;
      std::optional<std::uint32_t> id = number(name);
      if (!id && !name.empty()) {
        id = user ? lookup.user(name) : lookup.group(name);
        if (!id) return bad(std::string(user ? "no such user " : "no such group ") + quoted(name));
      }
      if (!id) return bad("no name after " + quoted(subject));
      r.id = *id;
    } else {
      return bad("unknown subject " + quoted(subject) + " (expected user:, group: or *)");
    }

    const std::string& scope = words[2];
    if (scope == "*") {
      r.scope = ExecRule::Scope::kAny;
    } else if (scope.starts_with("role:")) {
      r.scope = ExecRule::Scope::kRole;
      if (scope == "role:client") {
        r.role = Role::kClient;
      } else if (scope == "role:server") {
        r.role = Role::kServer;
      } else {
        return bad("unknown role " + quoted(scope.substr(5)) + " (expected client or server)");
      }
    } else if (is_valid_netns_name(scope)) {
      r.scope = ExecRule::Scope::kName;
      r.netns = scope;
    } else {
      return bad(quoted(scope) + " is not a namespace name, role:client, role:server or *");
    }
    r.text = words[0] + " " + words[1] + " " + words[2];
    rules.push_back(std::move(r));
  }
  return rules;
}

ExecDecision apply_exec_policy(const std::optional<std::vector<ExecRule>>& rules,
                               const ExecCaller& who, const ExecTarget& target,
                               const ExecPolicySource& source) {
  if (!rules) {
    const bool allowed = in_group(who, source.group) && target.role == Role::kClient;
    return decision(allowed,
                    "default: group " + source.group_name +
                        " may enter client namespaces only (there is no " + source.path +
                        "; see vpnnsctl(1), EXEC POLICY)",
                    who, target);
  }
  for (const ExecRule& r : *rules) {
    if (matches(r, who, target)) return decision(r.allow, r.where + ": " + r.text, who, target);
  }
  return decision(false,
                  source.path +
                      ": no rule matches (the first matching rule decides; none: "
                      "refused)",
                  who, target);
}

ExecDecision decide_exec(const ExecCaller& who, const ExecTarget& target,
                         const ExecPolicySource& source) {
  auto rules = load(source.path);
  if (!rules) {
    ExecDecision d;
    d.rule = rules.error().text();
    d.text = caller_text(who) + " may not enter " + target_text(target) +
             ": the exec policy cannot be used: " + d.rule;
    return d;
  }
  return apply_exec_policy(*rules, who, target, source);
}

}  // namespace vpnns
