// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/user_limits.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/read_fd.h"
#include "common/trusted_file.h"

namespace vpnns {
namespace {

constexpr std::size_t kMaxFile = 1 << 20;

// Where an entry comes from, most specific first (pam_limits's order; % domains apply to
// maxlogins only and never reach here).
enum Source : int { kUser = 0, kGroup = 1, kDefault = 4, kNone = 6 };

struct Item {
  const char* name;
  int resource;  // RLIMIT_*, or one of the pseudo items below
  rlim_t unit;   // multiplier of the written value
};
constexpr int kPriority = -1;
constexpr int kLogins = -2;  // maxlogins, maxsyslogins: not a login, not counted
constexpr int kNoNewPrivs = -3;

constexpr Item kItems[] = {
    {"cpu", RLIMIT_CPU, 60},           {"fsize", RLIMIT_FSIZE, 1024},
    {"data", RLIMIT_DATA, 1024},       {"stack", RLIMIT_STACK, 1024},
    {"core", RLIMIT_CORE, 1024},       {"rss", RLIMIT_RSS, 1024},
    {"nproc", RLIMIT_NPROC, 1},        {"nofile", RLIMIT_NOFILE, 1},
    {"memlock", RLIMIT_MEMLOCK, 1024}, {"as", RLIMIT_AS, 1024},
    {"locks", RLIMIT_LOCKS, 1},        {"sigpending", RLIMIT_SIGPENDING, 1},
    {"msgqueue", RLIMIT_MSGQUEUE, 1},  {"nice", RLIMIT_NICE, 1},
    {"rtprio", RLIMIT_RTPRIO, 1},      {"priority", kPriority, 1},
    {"maxlogins", kLogins, 1},         {"maxsyslogins", kLogins, 1},
    {"nonewprivs", kNoNewPrivs, 1},
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// pam_limits reads numbers with strtoul/strtol: leading digits count, the rest is ignored, and
// no digit at all is an error.
std::optional<unsigned long long> leading_unsigned(const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (end == v.c_str()) return std::nullopt;
  if (errno == ERANGE) return ULLONG_MAX;
  return n;
}
std::optional<int> leading_int(const std::string& v) {
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (end == v.c_str()) return std::nullopt;
  return static_cast<int>(std::clamp<long>(n, INT_MIN, INT_MAX));
}

// A uid or gid range in a domain: "MIN:MAX", "MIN:", ":ID". Empty: no colon.
struct Range {
  bool present = false;
  bool exact = false;  // ":ID"
  unsigned long min = 0;
  unsigned long max = ULONG_MAX;
};
std::optional<Range> parse_range(std::string_view domain) {
  Range r;
  const auto colon = domain.find(':');
  if (colon == std::string_view::npos) return r;
  r.present = true;
  if (!domain.empty() && (domain[0] == '@' || domain[0] == '%')) domain.remove_prefix(1);
  const std::string lo(domain.substr(0, domain.find(':')));
  const std::string hi(domain.substr(domain.find(':') + 1));
  auto number = [](const std::string& s) -> std::optional<unsigned long> {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const unsigned long n = std::strtoul(s.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return std::nullopt;
    return n;
  };
  if (lo.empty()) {
    r.exact = true;
    auto id = number(hi);
    if (!id) return std::nullopt;
    r.min = r.max = *id;
    return r;
  }
  auto min = number(lo);
  if (!min) return std::nullopt;
  r.min = *min;
  if (!hi.empty()) {
    auto max = number(hi);
    if (!max) return std::nullopt;
    r.max = *max;
  }
  return r;
}

class Evaluator {
 public:
  Evaluator(const LimitsUser& user, rlim_t nr_open) : user_(user), nr_open_(nr_open) {
    src_soft_.fill(kNone);
    src_hard_.fill(kNone);
  }

  // false: an applicable "DOMAIN -" line ends the evaluation.
  bool line(const std::string& where, const std::string& text);
  LimitsPlan take() { return std::move(plan_); }

 private:
  bool member_named(std::string_view group) const {
    return std::ranges::find(user_.group_names, group) != user_.group_names.end();
  }
  bool member_gid(unsigned long gid) const {
    return std::ranges::find(user_.gids, static_cast<gid_t>(gid)) != user_.gids.end();
  }
  // The source this domain gives for the user, or nullopt if it does not apply.
  std::optional<int> applies(const std::string& domain, const Range& range) const;
  void process(const std::string& where, int source, const std::string& type,
               const std::string& item, const std::string& value);
  void set(const std::string& where, int source, bool soft, bool hard, int resource, rlim_t v);
  void warn(const std::string& where, const std::string& what) {
    plan_.warnings.push_back(where + ": " + what);
  }

  const LimitsUser& user_;
  rlim_t nr_open_;
  std::array<int, RLIM_NLIMITS> src_soft_{};
  std::array<int, RLIM_NLIMITS> src_hard_{};
  LimitsPlan plan_;
};

std::optional<int> Evaluator::applies(const std::string& domain, const Range& range) const {
  if (domain[0] == '@') {
    if (!range.present) {
      if (member_named(std::string_view(domain).substr(1))) return kGroup;
    } else if (range.exact) {
      if (member_gid(range.max)) return kGroup;
    } else if (user_.primary_gid >= range.min && user_.primary_gid <= range.max) {
      return kGroup;
    }
    return std::nullopt;
  }
  if (domain[0] == '%') return std::nullopt;  // maxlogins only
  if (!range.present) {
    if (!user_.name.empty() && domain == user_.name) return kUser;
    if (domain == "*") return kDefault;
    return std::nullopt;
  }
  if (user_.uid >= range.min && user_.uid <= range.max) return kUser;
  return std::nullopt;
}

bool Evaluator::line(const std::string& where, const std::string& raw) {
  std::string text = raw.substr(0, raw.find('#'));
  std::istringstream in(text);
  std::vector<std::string> fields;
  for (std::string f; in >> f && fields.size() < 5;) fields.push_back(f);
  if (fields.empty()) return true;
  const std::string& domain = fields[0];
  auto range = parse_range(domain);
  if (!range) {
    warn(where, "invalid uid or gid range '" + domain + "'; line skipped");
    return true;
  }
  if (fields.size() == 2 && fields[1][0] == '-') {
    // "DOMAIN -": no limits for whom it names (users and groups; * is not a target here).
    if (domain != "*" && domain[0] != '%' && applies(domain, *range)) {
      plan_.no_limits = where;
      return false;
    }
    return true;
  }
  if (fields.size() < 4) {
    warn(where, "not DOMAIN TYPE ITEM VALUE; line skipped");
    return true;
  }
  if (auto source = applies(domain, *range)) {
    process(where, *source, lower(fields[1]), lower(fields[2]), lower(fields[3]));
  }
  return true;
}

void Evaluator::process(const std::string& where, int source, const std::string& type,
                        const std::string& item_name, const std::string& value) {
  const Item* item = nullptr;
  for (const Item& i : kItems) {
    if (item_name == i.name) item = &i;
  }
  if (item == nullptr) return warn(where, "unknown item '" + item_name + "'; line skipped");
  if (item->resource == kLogins || item->resource == kNoNewPrivs) return;  // see the top
  const bool soft = type == "soft" || type == "-";
  const bool hard = type == "hard" || type == "-";
  if (!soft && !hard) return warn(where, "unknown type '" + type + "'; line skipped");

  if (item->resource == kPriority || item->resource == RLIMIT_NICE) {
    auto n = leading_int(value);
    if (!n) return warn(where, "value '" + value + "' is not a number; line skipped");
    if (item->resource == kPriority) {
      plan_.priority = *n;
      return;
    }
    const int nice = std::clamp(*n, -20, 19);
    const rlim_t v = static_cast<rlim_t>(20 - nice);
    return set(where, source, soft, hard, RLIMIT_NICE, v);
  }
  rlim_t v = RLIM_INFINITY;
  if (value != "-1" && value != "-" && value != "unlimited" && value != "infinity") {
    auto n = leading_unsigned(value);
    if (!n) return warn(where, "value '" + value + "' is not a number; line skipped");
    v = *n >= RLIM_INFINITY / item->unit ? RLIM_INFINITY : static_cast<rlim_t>(*n) * item->unit;
  }
  if (item->resource == RLIMIT_NOFILE && v == RLIM_INFINITY) v = nr_open_;
  set(where, source, soft, hard, item->resource, v);
}

void Evaluator::set(const std::string& where, int source, bool soft, bool hard, int resource,
                    rlim_t v) {
  const auto r = static_cast<std::size_t>(resource);
  LimitValue& out = plan_.limits[r];
  if (soft) {
    // As pam_limits: beaten by a more specific entry, the line sets nothing, not even its hard
    // part.
    if (src_soft_[r] < source) return;
    out.soft = v;
    src_soft_[r] = source;
    out.soft_origin = where;
  }
  if (hard) {
    if (src_hard_[r] < source) return;
    out.hard = v;
    src_hard_[r] = source;
    out.hard_origin = where;
  }
}

}  // namespace

LimitsPlan evaluate_limits(const std::vector<LimitsFile>& files, const LimitsUser& user,
                           rlim_t nr_open) {
  Evaluator e(user, nr_open);
  for (const LimitsFile& f : files) {
    std::istringstream in(f.text);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      if (!e.line(f.path + ":" + std::to_string(n), line)) {
        LimitsPlan none;
        none.no_limits = f.path + ":" + std::to_string(n);
        none.warnings = e.take().warnings;
        return none;
      }
    }
  }
  return e.take();
}

Result<std::vector<LimitsFile>> read_limits_files(const std::string& conf, const std::string& dir) {
  std::vector<std::string> paths;
  if (::access(conf.c_str(), F_OK) == 0) paths.push_back(conf);
  if (DIR* d = ::opendir(dir.c_str()); d != nullptr) {
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 5 && name.ends_with(".conf")) names.push_back(name);
    }
    ::closedir(d);
    std::ranges::sort(names);  // C collation: byte order
    for (const auto& n : names) paths.push_back(dir + "/" + n);
  } else if (errno != ENOENT) {
    return sys_error("reading " + dir, errno);
  }
  std::vector<LimitsFile> files;
  for (const std::string& p : paths) {
    auto fd = open_trusted_file(p, "limits file", Access::kRead);
    if (!fd) return fd.error();
    auto text = read_fd(fd->get(), kMaxFile, p);
    if (!text) return text.error();
    if (text->size() > kMaxFile) {
      return Error(Code::kInvalidArgument,
                   p + " is larger than " + std::to_string(kMaxFile) + " bytes; not a limits file");
    }
    files.push_back({p, std::move(*text)});
  }
  return files;
}

std::string limit_item_name(int resource) {
  for (const Item& i : kItems) {
    if (i.resource == resource) return i.name;
  }
  return "resource " + std::to_string(resource);
}

}  // namespace vpnns
