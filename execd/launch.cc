// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/launch.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "execd/netns_view.h"

namespace vpnns {
namespace {

// Descriptors the child moves out of the way first, so that dup2() onto 0..2 never clobbers a
// source that happens to sit there.
constexpr int kHighFd = 64;

// How the child reports a failure: one byte for the stage, the errno, the text.
enum class Stage : char { kSetup = 'S', kExec = 'X' };

struct ChildError {
  Stage stage;
  Error error;
};

[[noreturn]] void child_fail(int pipe_fd, const ChildError& e) {
  std::string text(1, static_cast<char>(e.stage));
  text += std::to_string(e.error.sys_errno()) + ":" + e.error.message();
  (void)!::write(pipe_fd, text.data(), std::min<std::size_t>(text.size(), 2048));
  ::_exit(125);
}

Status reset_signals() {
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    (void)::sigaction(sig, &sa, nullptr);  // EINVAL for the numbers glibc reserves: fine
  }
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) < 0) return sys_error("sigprocmask", errno);
  return ok_status();
}

Status drop_identity(const Identity& id) {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
    return sys_error("clearing the ambient capabilities", errno);
  }
  // The bounding set stays as it is: with no_new_privs no execve() can add a capability anyway,
  // and an empty bounding set makes the kernel refuse (EPERM) to run a program with file
  // capabilities such as ping (cap_net_raw+ep), which then runs without them, as under sudo -u.

  if (::setgroups(id.groups.size(), id.groups.data()) < 0) {
    return sys_error("setting the supplementary groups", errno);
  }
  if (::setresgid(id.gid, id.gid, id.gid) < 0) {
    return sys_error("setting gid " + std::to_string(id.gid), errno);
  }
  if (::setresuid(id.uid, id.uid, id.uid) < 0) {
    return sys_error("setting uid " + std::to_string(id.uid), errno);
  }
  // setresuid() away from 0 clears the permitted and effective sets; uid 0 keeps them, and the
  // inheritable set survives either way: clear all three explicitly.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, data) < 0) return sys_error("clearing capabilities", errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return sys_error("PR_SET_NO_NEW_PRIVS", errno);
  return ok_status();
}

std::string_view env_value(const std::vector<std::string>& env, std::string_view name) {
  for (const std::string& e : env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      return std::string_view(e).substr(name.size() + 1);
    }
  }
  return {};
}

// execvpe() semantics with the command's own PATH: every candidate tried in order; EACCES on
// an existing file remembered; ENOENT and ENOTDIR skip to the next. Returns only on failure.
ChildError exec_command(const LaunchSpec& spec) {
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string& cmd = spec.argv.front();
  if (cmd.find('/') != std::string::npos) {
    ::execve(cmd.c_str(), argv.data(), envp.data());
    return {Stage::kExec, Error(Code::kSystem, cmd, errno)};
  }
  bool has_path = false;
  for (const std::string& e : spec.env) has_path = has_path || e.starts_with("PATH=");
  std::string_view path = has_path ? env_value(spec.env, "PATH") : "/usr/local/bin:/usr/bin:/bin";
  int err = ENOENT;
  for (;;) {
    const auto colon = path.find(':');
    std::string dir(path.substr(0, colon));
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + cmd;
    ::execve(candidate.c_str(), argv.data(), envp.data());
    const int e = errno;
    struct stat st = {};
    if (e == EACCES) {
      // A file we may not execute counts; a directory we may not search hides nothing from
      // us (the shells' view: "command not found").
      if (::stat(candidate.c_str(), &st) == 0) err = EACCES;
    } else if (e != ENOENT && e != ENOTDIR) {
      return {Stage::kExec, Error(Code::kSystem, candidate, e)};
    }
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return {Stage::kExec, Error(Code::kSystem, cmd, err)};
}

// Everything between fork and exec. Returns only on failure.
ChildError run_child(const LaunchSpec& spec) {
  auto setup = [](Status s) { return ChildError{Stage::kSetup, s.error()}; };
  if (spec.foreground_tty_fd >= 0) {
    // Still with the parent's mask: SIGTTOU blocked, or tcsetpgrp() from the new (background)
    // group would stop us.
    sigset_t ttou;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    (void)::sigprocmask(SIG_BLOCK, &ttou, nullptr);
    if (::setpgid(0, 0) < 0) return setup(sys_error("setpgid", errno));
    if (::tcsetpgrp(spec.foreground_tty_fd, ::getpid()) < 0) {
      return setup(sys_error("making the command the terminal's foreground job", errno));
    }
  } else if (spec.new_session && ::setsid() < 0) {
    return setup(sys_error("setsid", errno));
  }
  if (Status s = reset_signals(); !s) return setup(s);
  if (spec.cwd_fd >= 0 && ::fchdir(spec.cwd_fd) < 0) {
    return setup(sys_error("entering the working directory", errno));
  }
  if (::setns(spec.netns_fd, CLONE_NEWNET) < 0) {
    return setup(sys_error("entering network namespace '" + spec.netns_name + "'", errno));
  }
  if (::unshare(CLONE_NEWNS) < 0) return setup(sys_error("unshare(CLONE_NEWNS)", errno));
  if (::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
    return setup(sys_error("making / a recursive slave mount", errno));
  }
  if (Status s = prepare_netns_view(spec.netns_name); !s) return setup(s);
  // Out of the way first (close-on-exec copies above kHighFd), then onto 0..2.
  std::array<int, 3> high{-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    if (spec.stdio[static_cast<std::size_t>(i)] < 0) continue;
    high[static_cast<std::size_t>(i)] =
        ::fcntl(spec.stdio[static_cast<std::size_t>(i)], F_DUPFD_CLOEXEC, kHighFd);
    if (high[static_cast<std::size_t>(i)] < 0) return setup(sys_error("dup of stdio", errno));
  }
  for (int i = 0; i < 3; ++i) {
    if (high[static_cast<std::size_t>(i)] >= 0 &&
        ::dup2(high[static_cast<std::size_t>(i)], i) < 0) {
      return setup(sys_error("dup2 onto fd " + std::to_string(i), errno));
    }
  }
  if (spec.umask) ::umask(*spec.umask);
  if (spec.join_session) {
    if (Status s = spec.join_session(); !s) return setup(s);
  }
  if (spec.identity) {
    if (Status s = drop_identity(*spec.identity); !s) return setup(s);
    if (::faccessat(AT_FDCWD, ".", X_OK, AT_EACCESS) < 0) {
      return setup(sys_error(
          "the working directory is not searchable by uid " + std::to_string(spec.identity->uid),
          errno));
    }
  }
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    return setup(sys_error("close_range", errno));
  }
  return exec_command(spec);
}

}  // namespace

std::variant<Launched, LaunchFailure> launch(const LaunchSpec& spec) {
  if (spec.argv.empty()) return LaunchFailure{Error(Code::kInvalidArgument, "no command"), 125};
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return LaunchFailure{sys_error("pipe2", errno), 125};
  UniqueFd report_r(p[0]), report_w(p[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return LaunchFailure{sys_error("fork", errno), 125};
  if (pid == 0) {
    report_r.reset();
    // The report pipe, too, goes above the descriptors the child rearranges.
    const int w = ::fcntl(report_w.get(), F_DUPFD_CLOEXEC, kHighFd + 8);
    const ChildError e = run_child(spec);
    child_fail(w >= 0 ? w : report_w.get(), e);
  }
  report_w.reset();
  Launched out;
  out.pid = pid;
  // (glibc 2.36's <sys/pidfd.h> lacks extern "C"; the system call is simple enough.)
  out.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  const int pidfd_err = errno;

  std::string report;
  char buf[2048];
  for (;;) {
    const ssize_t n = ::read(report_r.get(), buf, sizeof buf);
    if (n > 0) {
      report.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  if (report.empty()) {
    if (!out.pidfd) {
      // Cannot watch it: end it rather than lose track of it.
      (void)::kill(pid, SIGKILL);
      (void)::waitpid(pid, nullptr, 0);
      return LaunchFailure{sys_error("pidfd_open", pidfd_err), 125};
    }
    return out;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // "<stage><errno>:<message>"
  const auto colon = report.find(':');
  const Stage stage = static_cast<Stage>(report[0]);
  int err = 0;
  if (colon != std::string::npos && colon > 1) err = std::atoi(report.substr(1, colon - 1).c_str());
  const std::string message = colon == std::string::npos ? report : report.substr(colon + 1);
  if (stage == Stage::kExec) {
    if (err == ENOENT) {
      return LaunchFailure{Error(Code::kNotFound, message + ": command not found"), 127};
    }
    return LaunchFailure{Error(Code::kPermissionDenied, "cannot execute " + message, err), 126};
  }
  return LaunchFailure{Error(Code::kSystem, "setting up the command: " + message, err), 125};
}

WaitStatus decode_wait_status(int status) {
  if (WIFSIGNALED(status)) return WaitStatus{true, WTERMSIG(status), WCOREDUMP(status) != 0};
  return WaitStatus{false, WEXITSTATUS(status), false};
}

}  // namespace vpnns
