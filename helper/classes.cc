// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/classes.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>

#include "common/read_fd.h"
#include "common/trusted_file.h"

namespace vpnns {
namespace {

constexpr std::size_t kMaxFile = 1 << 20;
constexpr std::size_t kMaxPattern = 256;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<ClassRule>> parse_classes(std::string_view text, const std::string& path) {
  std::vector<ClassRule> rules;
  std::string problems;
  int number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    auto fail = [&](const std::string& why) {
      if (!problems.empty()) problems += "; ";
      problems += path + ":" + std::to_string(number) + ": " + why;
    };
    const auto gap = line.find_first_of(" \t");
    if (gap == std::string_view::npos) {
      fail("expected 'PATTERN SET[,SET...]'");
      continue;
    }
    const std::string_view pattern = line.substr(0, gap);
    const std::string_view sets = trim(line.substr(gap));
    if (pattern.size() > kMaxPattern) {
      fail("the pattern is longer than " + std::to_string(kMaxPattern) + " characters");
      continue;
    }
    if (std::any_of(pattern.begin(), pattern.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      fail("the pattern contains a control character");
      continue;
    }
    if (sets.find_first_of(" \t") != std::string_view::npos) {
      fail("expected one list of sets, separated by commas without spaces");
      continue;
    }
    std::string problem;
    auto refs = parse_set_list(sets, problem);
    if (!problem.empty()) {
      fail(problem);
      continue;
    }
    rules.push_back(ClassRule{std::string(pattern), std::move(refs), number});
  }
  if (!problems.empty()) return Error(Code::kInvalidArgument, problems);
  return rules;
}

Result<std::vector<ClassRule>> load_classes(const std::string& path) {
  VPNNS_ASSIGN_OR_RETURN(UniqueFd fd, open_trusted_file(path, "client-classes", Access::kRead));
  VPNNS_ASSIGN_OR_RETURN(std::string text, read_fd(fd.get(), kMaxFile, "client-classes=" + path));
  if (text.size() > kMaxFile) {
    return Error(Code::kInvalidArgument, "client-classes=" + path + " is larger than 1 MiB");
  }
  return parse_classes(text, path);
}

std::vector<SetRef> classes_of(const std::vector<ClassRule>& rules, std::string_view common_name) {
  const std::string cn(common_name);
  std::vector<SetRef> out;
  for (const ClassRule& rule : rules) {
    if (::fnmatch(rule.pattern.c_str(), cn.c_str(), 0) != 0) continue;
    for (const SetRef& s : rule.sets) {
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  }
  return out;
}

}  // namespace vpnns
