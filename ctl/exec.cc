// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl exec [-n NAME] [--socket=PATH] [--] CMD ARGS...
//
// Runs CMD inside the vpnns namespace NAME as the calling user, with the caller's environment,
// working directory and stdio, and exits with CMD's status (or dies of CMD's signal).
//
// NAME defaults to the one vpnns namespace there is (netns_marker.h lists them; anyone may read
// the markers); with none or several, vpnnsctl says which exist and asks for -n. Options stop at
// the first word that is not one, so `vpnnsctl exec -n work ls -l` needs no `--`.
//
// Who does the work:
//  * root (real and effective uid 0): vpnnsctl itself (exec_direct.cc), the same checks and the
//    same set-up as vpnns-execd; called through sudo, the command runs as SUDO_UID/SUDO_GID with
//    SUDO_USER's groups, without capabilities; plain root stays root, capabilities and all, as
//    with `ip netns exec`.
//  * everyone else: vpnns-execd, over its socket (exec_client.cc): $VPNNS_EXEC_SOCKET or
//    --socket=PATH, default /run/vpnns/exec.sock.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ctl/commands.h"
#include "ctl/exec_internal.h"
#include "state/netns_marker.h"

namespace vpnns::ctl {
namespace {

constexpr const char* kExecUsage =
    "usage: vpnnsctl exec [-n NAME] [--socket=PATH] [--] CMD ARGS...\n";

int usage(const std::string& problem) {
  std::fprintf(stderr, "vpnnsctl exec: %s\n%s", problem.c_str(), kExecUsage);
  return kExitUsage;
}

}  // namespace

void exec_error(const std::string& message) {
  std::fprintf(stderr, "vpnnsctl exec: %s\n", message.c_str());
}

int exec_failed(const std::string& message) {
  exec_error(message);
  return kExitFailure;
}

int exec_command(std::span<char* const> words) {
  ExecArgs args;
  const char* env_socket = std::getenv(kExecSocketEnv);
  args.socket_path = env_socket != nullptr && *env_socket != '\0' ? env_socket : kDefaultExecSocket;
  bool have_netns = false;
  std::size_t i = 0;
  for (; i < words.size(); ++i) {
    const std::string_view w = words[i];
    if (w == "--") {
      ++i;
      break;
    }
    if (w == "-h" || w == "--help") {
      std::fputs(kExecUsage, stdout);
      return 0;
    }
    if (w == "-n" || w == "--netns") {
      if (i + 1 >= words.size()) return usage(std::string(w) + " needs a namespace name");
      args.netns = words[++i];
      have_netns = true;
    } else if (w.starts_with("--netns=")) {
      args.netns = std::string(w.substr(8));
      have_netns = true;
    } else if (w.starts_with("--socket=")) {
      args.socket_path = std::string(w.substr(9));
    } else if (w.starts_with("-")) {
      return usage("unknown option '" + printable_name(w) + "'");
    } else {
      break;
    }
  }
  for (; i < words.size(); ++i) args.argv.emplace_back(words[i]);
  if (args.argv.empty()) return usage("no command given");
  if (args.argv.front().empty()) return usage("the command is an empty word");

  if (!have_netns) {
    const std::vector<std::string> names = list_vpnns_netns();
    if (names.size() != 1) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      exec_error(names.empty()
                     ? "no vpnns namespace exists (is an openvpn with netns=NAME running?)"
                     : "there are several vpnns namespaces (" + list +
                           "); choose one with -n NAME");
      return kExitFailure;
    }
    args.netns = names.front();
  }
  if (::getuid() == 0 && ::geteuid() == 0) return exec_directly(args);
  return exec_via_service(args);
}

}  // namespace vpnns::ctl
