// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/process_info.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

#include "common/unique_fd.h"
#include "state/helper_identity.h"

namespace vpnns {
namespace {

// The next space-separated field of `text`, advancing past it.
std::string_view next_field(std::string_view& text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  const auto end = text.find(' ');
  std::string_view field = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view{} : text.substr(end);
  return field;
}

template <typename T>
bool number(std::string_view s, T& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::optional<ProcessInfo> parse_proc_stat(std::string_view text) {
  // "PID (COMM) STATE PPID ..." — COMM may itself hold spaces and parentheses, so it ends at
  // the last ')'.
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  ProcessInfo info;
  info.comm = std::string(text.substr(open + 1, close - open - 1));
  std::string_view rest = text.substr(close + 1);
  // Fields 3 (state) to 22 (starttime).
  const std::string_view state = next_field(rest);
  if (state.size() != 1) return std::nullopt;
  info.state = state[0];
  if (!number(next_field(rest), info.ppid)) return std::nullopt;
  for (int field = 5; field < 22; ++field) {
    if (next_field(rest).empty()) return std::nullopt;
  }
  if (!number(next_field(rest), info.start_time)) return std::nullopt;
  return info;
}

std::optional<ProcessInfo> process_info(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  char buf[1024];
  ssize_t n;
  do {
    n = ::read(fd.get(), buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return std::nullopt;
  return parse_proc_stat(std::string_view(buf, static_cast<std::size_t>(n)));
}

bool process_running(pid_t pid) {
  const auto info = process_info(pid);
  return info && info->state != 'Z' && info->state != 'X';
}

bool helper_running(pid_t pid, std::uint64_t start_time) {
  return running_helper(HelperId{pid, start_time}).has_value();
}

Result<uid_t> effective_uid_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  if (!status) return sys_error("reading /proc/" + std::to_string(pid) + "/status", errno);
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    unsigned long real = 0, effective = 0;
    if (fields >> real >> effective) return static_cast<uid_t>(effective);
  }
  return Error(Code::kSystem, "no Uid line in /proc/" + std::to_string(pid) + "/status");
}

}  // namespace vpnns
