// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin/helper_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/trusted_file.h"
#include "helper_ipc/channel.h"
#include "helper_ipc/wire.h"

namespace vpnns {
namespace {

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    std::string out = std::string("was killed by signal ") + (name != nullptr ? "SIG" : "") +
                      (name != nullptr ? name : std::to_string(WTERMSIG(status)));
    if (WTERMSIG(status) == SIGSYS) {
      out += " (a system call outside its seccomp allowlist: a vpnns bug, please report it)";
    }
    return out;
  }
  return "ended (status " + std::to_string(status) + ")";
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Everything the child needs, built before fork() so the child allocates nothing.
struct ExecPlan {
  std::vector<std::string> args;
  std::vector<char*> argv;
  char* envp[1] = {nullptr};

  void finish() {
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
  }
};

// The child side of the fork. Only async-signal-safe calls; never returns.
[[noreturn]] void exec_child(int sock, int exe, int err_pipe, int devnull, pid_t parent,
                             ExecPlan& plan) {
  auto fail = [&err_pipe](int err) {
    (void)!::write(err_pipe, &err, sizeof err);
    ::_exit(127);
  };
  // Our own session: terminal signals for openvpn's process group do not reach the helper.
  if (::setsid() < 0) fail(errno);
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) fail(errno);
  // openvpn may have died between fork() and prctl(); then nobody would send the signal.
  if (::getppid() != parent) ::_exit(0);

  // Fixed descriptor layout: 0, 1 = /dev/null, 2 = openvpn's stderr (kept: a dying helper's
  // last words land in openvpn's log), 3 = socket, 4 = executable (close-on-exec), 5 = error
  // pipe. Move them above 5 first so the dup2s below cannot clobber each other.
  const int hi_sock = ::fcntl(sock, F_DUPFD, 10);
  const int hi_exe = ::fcntl(exe, F_DUPFD_CLOEXEC, 10);
  const int hi_pipe = ::fcntl(err_pipe, F_DUPFD_CLOEXEC, 10);
  const int hi_null = ::fcntl(devnull, F_DUPFD_CLOEXEC, 10);
  if (hi_sock < 0 || hi_exe < 0 || hi_pipe < 0 || hi_null < 0) fail(errno);
  if (::dup2(hi_sock, 3) < 0 || ::dup2(hi_exe, 4) < 0 || ::dup2(hi_pipe, 5) < 0 ||
      ::dup2(hi_null, 0) < 0 || ::dup2(hi_null, 1) < 0) {
    fail(errno);
  }
  err_pipe = 5;
  if (::fcntl(4, F_SETFD, FD_CLOEXEC) < 0 || ::fcntl(5, F_SETFD, FD_CLOEXEC) < 0) fail(errno);
  // Everything else openvpn had open (log, management, syslog) stays out of the helper.
  if (::close_range(6, ~0U, 0) < 0) fail(errno);

  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) (void)::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) < 0) fail(errno);

  ::syscall(SYS_execveat, 4, "", plan.argv.data(), plan.envp, AT_EMPTY_PATH);
  fail(errno);
  ::_exit(127);
}

}  // namespace

Result<HelperProcess> HelperProcess::start(const Config& config,
                                           const std::vector<std::string>& remotes) {
  VPNNS_ASSIGN_OR_RETURN(UniqueFd exe,
                         open_trusted_file(config.helper, "helper", Access::kExecute));

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    return sys_error("socketpair", errno);
  }
  UniqueFd ours(sv[0]);
  UniqueFd theirs(sv[1]);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) return sys_error("pipe2", errno);
  UniqueFd err_read(pipefd[0]);
  UniqueFd err_write(pipefd[1]);
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) return sys_error("open /dev/null", errno);

  const pid_t parent = ::getpid();
  ExecPlan plan;
  plan.args.push_back(config.helper);
  plan.args.push_back("--socket-fd=3");
  plan.args.push_back("--parent-pid=" + std::to_string(parent));
  for (const std::string& r : remotes) plan.args.push_back("--remote=" + r);
  plan.args.push_back("--");
  for (auto& a : config.to_args()) plan.args.push_back(std::move(a));
  plan.finish();

  const pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork", errno);
  if (pid == 0) exec_child(theirs.get(), exe.get(), err_write.get(), devnull.get(), parent, plan);

  theirs.reset();
  err_write.reset();
  UniqueFd pidfd(pidfd_open(pid));
  HelperProcess helper(std::move(ours), std::move(pidfd), pid);

  int exec_err = 0;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &exec_err, sizeof exec_err);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof exec_err)) {
    helper.sock_.reset();
    helper.reap(kExitTimeoutMs);
    return Error(Code::kSystem, "cannot execute helper " + config.helper, exec_err);
  }

  auto frame = recv_frame(helper.sock_.get(), kHelloTimeoutMs);
  if (!frame) {
    Error e = helper.gone(frame.error());
    return Error(e.code(), "helper " + config.helper + " did not start: " + e.message());
  }
  auto msg = decode_helper_message(*frame);
  if (!msg) return helper.gone(msg.error());
  if (auto* reply = std::get_if<Reply>(&*msg)) {
    // The helper refused to start; its reply says why (bad namespace, missing capability...).
    helper.sock_.reset();
    helper.reap(kExitTimeoutMs);
    return Error(reply->code == Code::kOk ? Code::kInternal : reply->code, reply->message);
  }
  const Hello& hello = std::get<Hello>(*msg);
  if (hello.version != kProtocolVersion || hello.pid != static_cast<std::uint32_t>(pid)) {
    helper.sock_.reset();
    helper.reap(kExitTimeoutMs);
    return Error(Code::kFailedPrecondition,
                 "helper " + config.helper + " speaks protocol version " +
                     std::to_string(hello.version) + ", this plugin " +
                     std::to_string(kProtocolVersion) + ": install matching vpnns.so and helper");
  }
  return helper;
}

HelperProcess::HelperProcess(HelperProcess&& other) noexcept
    : sock_(std::move(other.sock_)),
      pidfd_(std::move(other.pidfd_)),
      pid_(std::exchange(other.pid_, -1)),
      ended_(std::move(other.ended_)) {}

HelperProcess& HelperProcess::operator=(HelperProcess&& other) noexcept {
  if (this != &other) {
    (void)close();
    sock_ = std::move(other.sock_);
    pidfd_ = std::move(other.pidfd_);
    pid_ = std::exchange(other.pid_, -1);
    ended_ = std::move(other.ended_);
  }
  return *this;
}

HelperProcess::~HelperProcess() { (void)close(); }

std::string HelperProcess::fate() const {
  return ended_.empty() ? std::string("stopped answering") : ended_;
}

Error HelperProcess::gone(const Error& cause) {
  sock_.reset();
  // Give an exiting helper a moment so the message can say how it ended.
  reap(1000);
  return Error(Code::kUnavailable, "the helper is gone: " + cause.text() + "; it " + fate());
}

Result<Reply> HelperProcess::call(const Request& request, int timeout_ms,
                                  std::span<const int> fds) {
  if (!sock_) return Error(Code::kUnavailable, "the helper is gone; it " + fate());
  if (Status s = send_frame(sock_.get(), encode_request(request), fds); !s) {
    return gone(s.error());
  }
  auto frame = recv_frame(sock_.get(), timeout_ms);
  if (!frame) {
    if (is_peer_closed(frame.error())) return gone(frame.error());
    // Silent: stop talking to it. Closing our end makes it tear down when it wakes up.
    sock_.reset();
    ended_ = "did not answer " + std::string(request_name(request)) + ": " + frame.error().text();
    return Error(Code::kUnavailable, "the helper " + ended_);
  }
  auto msg = decode_helper_message(*frame);
  if (!msg) return gone(msg.error());
  if (!std::holds_alternative<Reply>(*msg)) {
    return gone(Error(Code::kInternal, "unexpected Hello in place of a reply"));
  }
  return std::get<Reply>(std::move(*msg));
}

Reply HelperProcess::close() {
  Reply reply{Code::kOk, {}, {}};
  if (sock_) {
    auto r = call(CloseRequest{}, kCallTimeoutMs);
    if (!r) reply = Reply::from(r.status());
    if (r) reply = std::move(*r);
  }
  sock_.reset();
  reap(kExitTimeoutMs);
  return reply;
}

void HelperProcess::abandon() {
  sock_.reset();
  pidfd_.reset();
  pid_ = -1;  // not ours to wait for any more: openvpn is exiting, init will reap it
}

void HelperProcess::reap(int timeout_ms) {
  if (pid_ <= 0) return;
  if (pidfd_) {
    pollfd p{pidfd_.get(), POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
      // Signal through the pidfd: it cannot hit a recycled pid.
      ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    }
  }
  int status = 0;
  pid_t w;
  do {
    w = ::waitpid(pid_, &status, 0);
  } while (w < 0 && errno == EINTR);
  if (ended_.empty() || w == pid_) {
    ended_ = w == pid_ ? describe_wait_status(status) : "could not be waited for";
  }
  pidfd_.reset();
  pid_ = -1;
}

}  // namespace vpnns
