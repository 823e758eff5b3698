// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/reset_target.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <string_view>

#include "common/unique_fd.h"
#include "ctl/kernel_view.h"
#include "ctl/state_files.h"
#include "kernel/owned_tables.h"
#include "state/helper_identity.h"
#include "state/process_info.h"

namespace vpnns::ctl {

namespace {

// A running helper by pid alone (no start time recorded): alive, named vpnns-helper and all its
// uids 0, held while checked (state/helper_identity.h). A local user's renamed program is none.
bool is_running_helper(pid_t pid) {
  return running_helper(HelperId{pid, std::nullopt}).has_value();
}

// A running vpnns-helper whose configuration (its command line after "--", in the canonical
// form of common/config.h) says instance=INSTANCE or netns=NETNS: it owns them whether or not it
// wrote a state file.
std::optional<pid_t> helper_configured_for(const Target& t) {
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) return std::nullopt;
  const std::string instance = "instance=" + t.instance;
  const std::string netns = "netns=" + t.netns;
  while (const dirent* e = ::readdir(proc.get())) {
    pid_t pid = 0;
    const std::string_view name = e->d_name;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size() || !is_running_helper(pid)) continue;
    UniqueFd fd(::open(("/proc/" + std::string(name) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) continue;
    std::string cmdline(64 * 1024, '\0');
    const ssize_t n = ::read(fd.get(), cmdline.data(), cmdline.size());
    if (n <= 0) continue;
    cmdline.resize(static_cast<std::size_t>(n));
    bool config = false;  // past "--"
    for (std::size_t at = 0; at < cmdline.size();) {
      std::size_t nul = cmdline.find('\0', at);
      if (nul == std::string::npos) nul = cmdline.size();
      const std::string_view word(cmdline.data() + at, nul - at);
      if (config && (word == instance || word == netns)) return pid;
      if (word == "--") config = true;
      at = nul + 1;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<Target> resolve(const std::string& name) {
  Target t{name, name, std::nullopt, state_file_path(name)};
  auto own = load_state_file(t.state_path, name);
  if (own) {
    t.state = std::move(*own);
  } else if (own.error().code() != Code::kNotFound) {
    return own.error().wrap("cannot trust the state file, so nothing was touched");
  }
  if (!t.state) {
    // NAME may be a namespace whose instance has another name.
    VPNNS_ASSIGN_OR_RETURN(auto entries, list_state_files());
    for (const auto& e : entries) {
      auto s = load_state_file(e.path, e.instance);
      if (s && s->netns && s->netns->name == name) {
        std::printf("'%s' is the network namespace of instance '%s'\n", name.c_str(),
                    e.instance.c_str());
        t.instance = e.instance;
        t.state = std::move(*s);
        t.state_path = e.path;
        break;
      }
    }
  }
  if (t.state && t.state->netns) t.netns = t.state->netns->name;
  return t;
}

// Refuses when a running helper owns the instance or its namespace.
Status check_no_running_helper(const Target& t) {
  if (t.state && helper_running(t.state->helper_pid, t.state->helper_start_time)) {
    return Error(Code::kFailedPrecondition,
                 "vpnns-helper pid " + std::to_string(t.state->helper_pid) + " (openvpn pid " +
                     std::to_string(t.state->openvpn_pid) + ") is running and owns '" + t.instance +
                     "'; stop that openvpn instead: its helper cleans up itself");
  }
  // A helper without a state file, found by its command line.
  if (auto pid = helper_configured_for(t)) {
    return Error(Code::kFailedPrecondition,
                 "vpnns-helper pid " + std::to_string(*pid) + " is running with instance=" +
                     t.instance + " or netns=" + t.netns + "; stop its openvpn instead");
  }
  // The seal table's owner, named in its comment: the same question asked of the kernel.
  if (auto sock = socket_in("/proc/self/ns/net", NETLINK_NETFILTER)) {
    auto st = read_seal_state(*sock, "vpnns-" + t.instance);
    const auto owner = st ? table_owner(st->comment) : std::nullopt;
    if (owner && st->comment.starts_with(seal_comment_prefix(t.instance)) &&
        running_helper(HelperId{owner->pid, owner->start_time})) {
      return Error(Code::kFailedPrecondition, "vpnns-helper pid " + std::to_string(owner->pid) +
                                                  " is running and owns nft table inet vpnns-" +
                                                  t.instance + "; stop its openvpn instead");
    }
  }
  VPNNS_ASSIGN_OR_RETURN(auto entries, list_state_files());
  for (const auto& e : entries) {
    auto s = load_state_file(e.path, e.instance);
    if (!s || !s->netns || s->netns->name != t.netns) continue;
    if (helper_running(s->helper_pid, s->helper_start_time)) {
      return Error(Code::kFailedPrecondition, "vpnns-helper pid " + std::to_string(s->helper_pid) +
                                                  " (instance '" + e.instance + "', openvpn pid " +
                                                  std::to_string(s->openvpn_pid) +
                                                  ") is running in network namespace '" + t.netns +
                                                  "'; stop that openvpn instead");
    }
  }
  return ok_status();
}

}  // namespace vpnns::ctl
