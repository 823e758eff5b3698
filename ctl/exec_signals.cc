// SPDX-License-Identifier: GPL-2.0-or-later
// How vpnnsctl exec ends and which signals it passes on (exec_internal.h).
//
// Re-raising the command's signal on ourselves is what lets a shell, `timeout` or a supervisor
// that runs `vpnnsctl exec CMD` see exactly what it would have seen running CMD: `kill -TERM`
// reaching the command is death by SIGTERM for vpnnsctl's caller, not an exit status of 143.
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "ctl/exec_internal.h"

namespace vpnns::ctl {

void exit_like(const ExecExit& exit) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (!exit.signaled) ::_exit(exit.value);
  const int sig = exit.value;
  // A stop signal cannot have ended the command; never stop ourselves for one.
  if (sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU) {
    // The command may have dumped core; vpnnsctl dumping its own would only confuse.
    const rlimit none{0, 0};
    (void)::setrlimit(RLIMIT_CORE, &none);
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    (void)::sigaction(sig, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    (void)::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    (void)::raise(sig);
  }
  // Signals whose default action is not to terminate (SIGCHLD, SIGWINCH...) end up here.
  ::_exit(128 + sig);
}

std::vector<int> forwarded_signals() {
  std::vector<int> out;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (!is_forwardable_signal(sig)) continue;
    struct sigaction current = {};
    if (::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    out.push_back(sig);
  }
  return out;
}

Result<UniqueFd> block_forwarded_signals(bool terminal) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : forwarded_signals()) sigaddset(&set, sig);
  if (terminal) {
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGCONT);
  }
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return sys_error("sigprocmask", errno);
  UniqueFd signals(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) return sys_error("signalfd", errno);
  return signals;
}

}  // namespace vpnns::ctl
