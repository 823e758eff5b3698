// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz target: the limits.conf / limits.d reader (execd/user_limits.h, evaluate_limits), which
// decides the resource limits of the commands vpnns-execd starts. The files are root's alone
// (read_limits_files refuses any other), so this is about robustness, not an attacker: a typo or
// an odd line an administrator wrote is skipped with a warning; it never crashes vpnns-execd nor
// yields a limit that no line set.
//
// Input layout: the files' texts separated by NUL bytes (limits.conf, then limits.d/00.conf,
// 01.conf, ...; at most kMaxFiles, the rest joins the last). Each input is evaluated for two
// users: alice (uid 1000, primary group 1000 "alice", also in 27 "sudo", 100 "users" and 990
// "vpnns") and uid 1234 with no passwd entry (primary group 1234, no group names).
//
// Beyond "no crash, no sanitizer report", for each user:
//   * a soft or hard limit is set exactly when it has an origin, FILE:LINE of a line that exists;
//   * nofile is never RLIM_INFINITY (it stands for nr_open); nice's RLIMIT_NICE is in 1..40;
//   * an applicable "DOMAIN -" line leaves no limit and no priority set, and names a line;
//   * every warning starts with the FILE:LINE it is about;
//   * the files are one stream of lines: the same lines in a single file give the same limits,
//     priority, "no limits" and warnings (apart from where they came from);
//   * with '#' before every line (checked for alice), the files give nothing: no limit, no warning.
#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "execd/user_limits.h"
#include "tests/fuzz/fuzz_check.h"

namespace vpnns::fuzz {
namespace {

constexpr std::size_t kMaxFiles = 4;
constexpr rlim_t kNrOpen = 1048576;

LimitsUser alice() {
  return {"alice", 1000, 1000, {1000, 27, 100, 990}, {"alice", "sudo", "users", "vpnns"}};
}
LimitsUser nameless() { return {"", 1234, 1234, {1234}, {}}; }

std::vector<LimitsFile> split(std::string_view input) {
  std::vector<LimitsFile> files;
  for (std::size_t i = 0; !input.empty() || files.empty(); ++i) {
    const auto nul = i + 1 < kMaxFiles ? input.find('\0') : std::string_view::npos;
    const std::string path = i == 0 ? std::string(kLimitsConf)
                                    : std::string(kLimitsDir) + "/0" + std::to_string(i) + ".conf";
    files.push_back({path, std::string(input.substr(0, nul))});
    input = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  }
  return files;
}

// How many lines std::getline gives for `text`. (find, not a loop over every character: this
// file's own loops are instrumented, and the checks should not cost more than the parser.)
std::size_t line_count(std::string_view text) {
  std::size_t n = 0;
  for (auto at = text.find('\n'); at != std::string_view::npos; at = text.find('\n', at + 1)) ++n;
  return n + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

// Whether `origin` is "PATH:N" with N a line of that file.
bool is_line_of(const std::string& origin, const std::vector<LimitsFile>& files) {
  const auto colon = origin.rfind(':');
  if (colon == std::string::npos) return false;
  const std::string path = origin.substr(0, colon);
  const std::string number = origin.substr(colon + 1);
  if (number.empty() || number.size() > 9 ||
      number.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const std::size_t n = std::stoul(number);
  for (const LimitsFile& f : files) {
    if (f.path == path) return n >= 1 && n <= line_count(f.text);
  }
  return false;
}

// Where "FILE:LINE: what" has its ": ".
std::size_t what_at(std::string_view warning) {
  const auto sep = warning.find(": ", warning.find(".conf:"));
  FUZZ_CHECK(sep != std::string_view::npos);
  return sep;
}

void check_plan(const LimitsPlan& plan, const std::vector<LimitsFile>& files) {
  for (std::size_t r = 0; r < plan.limits.size(); ++r) {
    const LimitValue& v = plan.limits[r];
    FUZZ_CHECK(v.soft.has_value() == !v.soft_origin.empty());
    FUZZ_CHECK(v.hard.has_value() == !v.hard_origin.empty());
    if (v.soft) FUZZ_CHECK(is_line_of(v.soft_origin, files));
    if (v.hard) FUZZ_CHECK(is_line_of(v.hard_origin, files));
    for (const auto& value : {v.soft, v.hard}) {
      if (!value) continue;
      if (r == RLIMIT_NOFILE) FUZZ_CHECK(*value != RLIM_INFINITY);
      if (r == RLIMIT_NICE) FUZZ_CHECK(*value >= 1 && *value <= 40);
    }
    if (!plan.no_limits.empty()) FUZZ_CHECK(!v.soft && !v.hard);
  }
  if (!plan.no_limits.empty()) {
    FUZZ_CHECK(!plan.priority);
    FUZZ_CHECK(is_line_of(plan.no_limits, files));
  }
  for (const std::string& w : plan.warnings) FUZZ_CHECK(is_line_of(w.substr(0, what_at(w)), files));
}

bool same_outcome(const LimitsPlan& a, const LimitsPlan& b) {
  if (a.priority != b.priority || a.no_limits.empty() != b.no_limits.empty()) return false;
  for (std::size_t r = 0; r < a.limits.size(); ++r) {
    if (a.limits[r].soft != b.limits[r].soft || a.limits[r].hard != b.limits[r].hard) return false;
  }
  if (a.warnings.size() != b.warnings.size()) return false;
  for (std::size_t i = 0; i < a.warnings.size(); ++i) {
    const std::string_view wa = a.warnings[i], wb = b.warnings[i];
    if (wa.substr(what_at(wa)) != wb.substr(what_at(wb))) return false;
  }
  return true;
}

void check_user(const std::vector<LimitsFile>& files, const LimitsUser& user) {
  const LimitsPlan plan = evaluate_limits(files, user, kNrOpen);
  check_plan(plan, files);
  if (files.size() == 1) return;  // the same lines as joined below
  std::string joined;
  for (const LimitsFile& f : files) {
    joined += f.text;
    if (!f.text.empty() && f.text.back() != '\n') joined += '\n';
  }
  const std::vector<LimitsFile> one{{std::string(kLimitsConf), joined}};
  const LimitsPlan single = evaluate_limits(one, user, kNrOpen);
  check_plan(single, one);
  FUZZ_CHECK(same_outcome(plan, single));
}

// Whoever the user, commented-out lines give nothing.
void check_commented(const std::vector<LimitsFile>& files, const LimitsUser& user) {
  std::vector<LimitsFile> commented;
  for (const LimitsFile& f : files) {
    std::string text;
    for (std::size_t at = 0; at < f.text.size();) {
      const auto end = std::min(f.text.find('\n', at), f.text.size() - 1);
      text += '#';
      text.append(f.text, at, end + 1 - at);
      at = end + 1;
    }
    commented.push_back({f.path, std::move(text)});
  }
  const LimitsPlan nothing = evaluate_limits(commented, user, kNrOpen);
  FUZZ_CHECK(nothing.warnings.empty() && nothing.no_limits.empty() && !nothing.priority);
  for (const LimitValue& v : nothing.limits) FUZZ_CHECK(!v.soft && !v.hard);
}

}  // namespace
}  // namespace vpnns::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<vpnns::LimitsFile> files =
      vpnns::fuzz::split(std::string_view(reinterpret_cast<const char*>(data), size));
  vpnns::fuzz::check_user(files, vpnns::fuzz::alice());
  vpnns::fuzz::check_user(files, vpnns::fuzz::nameless());
  vpnns::fuzz::check_commented(files, vpnns::fuzz::alice());
  return 0;
}
