// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl exec run by root: no service, the same checks (open_vpnns_netns) and the same
// set-up (launch.h) as vpnns-execd.
//
// Identity: plain root stays root, with its capabilities (it may want to run `ip` or `nft` in
// the namespace, as with `ip netns exec`). Through sudo (SUDO_UID set, not 0) the command runs
// as that user: SUDO_UID, SUDO_GID (or the user's primary group), the supplementary groups of
// SUDO_USER from the group database, no capabilities, no new privileges; HOME, USER, LOGNAME
// and SHELL are set from that user's passwd entry (sudo left root's there), the rest of the
// environment is what sudo passed (`sudo -E` keeps yours). SUDO_USER must name SUDO_UID.
//
// The command shares vpnnsctl's session and process group and uses vpnnsctl's own terminal and
// fds directly — there is no privilege boundary to bridge, so no pty. Signals that vpnnsctl
// receives are passed on, except those the terminal sent to the whole foreground process group
// (si_code SI_KERNEL): the command got those itself, and must not get Ctrl-C twice.
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "ctl/exec_internal.h"
#include "execd/launch.h"
#include "state/netns_marker.h"

extern char** environ;

namespace vpnns::ctl {
namespace {

std::optional<unsigned long> parse_id(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  unsigned long v = 0;
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, v);
  if (ec != std::errc() || p != end || v >= 0xffffffffUL) return std::nullopt;
  return v;
}

void set_env(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  const std::string prefix = name + "=";
  std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
  env.push_back(prefix + value);
}

// The user sudo was called by, if any (and not root). Adjusts `env` for them.
Result<std::optional<Identity>> sudo_identity(std::vector<std::string>& env) {
  const char* uid_text = std::getenv("SUDO_UID");
  if (uid_text == nullptr) return std::optional<Identity>();
  const auto uid = parse_id(uid_text);
  if (!uid)
    return Error(Code::kInvalidArgument, std::string("SUDO_UID='") + uid_text + "' is not a uid");
  if (*uid == 0) return std::optional<Identity>();
  const passwd* pw = ::getpwuid(static_cast<uid_t>(*uid));
  if (pw == nullptr) {
    return Error(Code::kNotFound, "SUDO_UID=" + std::to_string(*uid) + " names no user");
  }
  const std::string name = pw->pw_name;
  if (const char* user = std::getenv("SUDO_USER"); user != nullptr && name != user) {
    return Error(Code::kInvalidArgument, std::string("SUDO_USER=") + user + " is not uid " +
                                             std::to_string(*uid) + " (" + name + ")");
  }
  Identity id;
  id.uid = pw->pw_uid;
  id.gid = pw->pw_gid;
  if (const char* gid_text = std::getenv("SUDO_GID"); gid_text != nullptr) {
    const auto gid = parse_id(gid_text);
    if (!gid)
      return Error(Code::kInvalidArgument, std::string("SUDO_GID='") + gid_text + "' is not a gid");
    id.gid = static_cast<gid_t>(*gid);
  }
  int n = 64;
  for (;;) {
    id.groups.resize(static_cast<std::size_t>(n));
    const int want = n;
    if (::getgrouplist(name.c_str(), id.gid, id.groups.data(), &n) >= 0) break;
    if (n <= want) return Error(Code::kInternal, "getgrouplist failed for " + name);
  }
  id.groups.resize(static_cast<std::size_t>(n));
  set_env(env, "HOME", pw->pw_dir);
  set_env(env, "USER", name);
  set_env(env, "LOGNAME", name);
  set_env(env, "SHELL", pw->pw_shell);
  return std::optional<Identity>(std::move(id));
}

}  // namespace

int exec_directly(const ExecArgs& args) {
  auto netns = open_vpnns_netns(args.netns);
  if (!netns) return exec_failed(netns.error().text());
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  auto identity = sudo_identity(env);
  if (!identity) return exec_failed(identity.error().text());

  auto blocked = block_forwarded_signals(false);
  if (!blocked) return exec_failed(blocked.error().text());
  UniqueFd signals = std::move(*blocked);

  LaunchSpec spec;
  spec.netns_fd = netns->get();
  spec.netns_name = args.netns;
  spec.argv = args.argv;
  spec.env = std::move(env);
  spec.identity = std::move(*identity);
  auto launched = launch(spec);
  if (auto* failed = std::get_if<LaunchFailure>(&launched)) {
    exec_error(failed->error.text());
    return failed->exit_status;
  }
  Launched child = std::move(std::get<Launched>(launched));
  netns->reset();

  for (;;) {
    pollfd fds[2] = {{child.pidfd.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return exec_failed(sys_error("poll", errno).text());
    }
    if ((fds[1].revents & POLLIN) != 0) {
      signalfd_siginfo si{};
      while (::read(signals.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_code == SI_KERNEL) continue;  // from the terminal: the command has it too
        (void)::kill(child.pid, static_cast<int>(si.ssi_signo));
      }
    }
    if ((fds[0].revents & POLLIN) != 0) {
      int status = 0;
      if (::waitpid(child.pid, &status, 0) < 0) {
        if (errno == EINTR) continue;
        return exec_failed(sys_error("waitpid", errno).text());
      }
      const WaitStatus w = decode_wait_status(status);
      exit_like(ExecExit{w.signaled, static_cast<std::uint8_t>(w.value), w.core_dumped});
    }
  }
}

}  // namespace vpnns::ctl
