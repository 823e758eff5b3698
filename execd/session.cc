// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/session.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "exec_ipc/exec_wire.h"
#include "execd/launch.h"
#include "execd/log_limit.h"
#include "execd/session_confine.h"
#include "execd/session_decoder.h"
#include "execd/session_order.h"
#include "execd/socket_request.h"
#include "execd/user_session.h"
#include "ipc/seqpacket.h"
#include "state/exec_policy.h"
#include "state/netns_marker.h"

namespace vpnns {
namespace {

// How long a refusal or an Exit waits for the decoder to see the client hang up.
constexpr int kLingerMs = 4000;
// Ignored frames logged: 5 at once, then one every 10 s; the rest counted (log_limit.h).
constexpr std::uint32_t kIgnoredBurst = 5;
constexpr std::int64_t kIgnoredRefillMs = 10'000;

struct Peer {
  pid_t pid = 0;
  Identity id;
  std::string name;  // user name, or "uid N"
};

std::string user_name(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return printable_name(found->pw_name);
  }
  return "uid " + std::to_string(uid);
}

Result<Peer> peer_of(int conn) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    return sys_error("SO_PEERCRED", errno);
  }
  Peer peer;
  peer.pid = cred.pid;
  peer.id.uid = cred.uid;
  peer.id.gid = cred.gid;
  std::vector<gid_t> groups(64);
  for (;;) {
    len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) break;
    const int err = errno;
    if (err != ERANGE || len <= groups.size() * sizeof(gid_t)) {
      return sys_error("SO_PEERGROUPS", err);
    }
    groups.resize(len / sizeof(gid_t));
  }
  groups.resize(len / sizeof(gid_t));
  peer.id.groups = std::move(groups);
  peer.name = user_name(cred.uid);
  return peer;
}

class Session {
 public:
  Session(UniqueFd conn, const SessionConfig& config) : conn_(std::move(conn)), config_(config) {}

  int run();

 private:
  void log(const std::string& what) const {
    std::fprintf(stderr, "vpnns-execd[%d]: %s: %s\n", static_cast<int>(::getpid()), who_.c_str(),
                 what.c_str());
  }
  int refuse(const Error& error, std::uint8_t status = 125);
  Status start_decoder();
  Status check_fds(const ExecRequest& request, const std::vector<UniqueFd>& fds) const;
  Result<UniqueFd> open_pty(const ExecRequest& request, UniqueFd& slave) const;
  int supervise(Launched child, bool pty);
  // Messages a client can cause at will go through a token bucket (log_limit.h).
  void log_ignored(const std::string& what) {
    for (const std::string& line : ignored_.admit("ignored: " + what, monotonic_ms())) log(line);
  }

  UniqueFd conn_;
  UniqueFd chan_;     // to the decoder (session_decoder.h), once it runs
  UniqueFd sigchld_;  // signalfd for SIGCHLD: the command stopped (or exited)
  const SessionConfig& config_;
  Peer peer_;
  std::string who_ = "unknown caller";
  LogLimit ignored_{kIgnoredBurst, kIgnoredRefillMs};
};

// Closing a socket with unread data in it resets the connection, and the client would then see
// ECONNRESET instead of the refusal. So: send, stop writing, and let whatever still comes be read
// and dropped until the client hangs up, for a while — by the decoder once it runs (this process
// never reads the client's bytes then), else here (refuse_and_linger()).
int Session::refuse(const Error& error, std::uint8_t status) {
  auto to_log = [this](const std::string& what) { log(what); };
  if (!chan_) return refuse_and_linger(conn_.get(), error, status, to_log);
  log("refused: " + error.text());
  (void)send_exec_frame(
      conn_.get(), encode_exec(ExecServiceMessage(ExecRefused{error.code(), error.text(), status})),
      {});
  (void)::shutdown(conn_.get(), SHUT_WR);
  await_decoder_end(chan_.get(), kLingerMs);
  return 0;
}

// The decoder: a child that becomes the caller, keeps no capability and opens no file
// (session_confine.h), and reads the client from here on (session_decoder.h).
Status Session::start_decoder() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
    return sys_error("socketpair", errno);
  }
  UniqueFd mine(pair[0]), theirs(pair[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork", errno);
  if (pid == 0) {
    mine.reset();
    auto to_log = [this](const std::string& what) { log("decoder: " + what); };
    auto confined = confine_session_decoder(peer_.id);
    if (!confined || ::getppid() != parent) {
      if (!confined) (void)refuse_and_linger(conn_.get(), confined.error(), 125, to_log);
      ::_exit(1);
    }
    if (*confined == 0) to_log("this kernel has no Landlock: the decoder is not landlocked");
    ::_exit(run_session_decoder(conn_.get(), theirs.get(), to_log));
  }
  chan_ = std::move(mine);
  return ok_status();
}

Status Session::check_fds(const ExecRequest& request, const std::vector<UniqueFd>& fds) const {
  struct stat st = {};
  if (::fstat(fds[0].get(), &st) < 0) return sys_error("fstat of the working directory", errno);
  if (!S_ISDIR(st.st_mode)) {
    return Error(Code::kInvalidArgument, "the working directory descriptor is not a directory");
  }
  // The stdio descriptors that follow, by mode.
  std::vector<const char*> names;
  if (request.mode == ExecMode::kPipe) names = {"stdin", "stdout", "stderr"};
  if (request.mode == ExecMode::kPtyOwnStderr) names = {"stderr"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const int fd = fds[i + 1].get();
    if (::fstat(fd, &st) < 0) return sys_error(std::string("fstat of ") + names[i], errno);
    if (S_ISDIR(st.st_mode)) {
      return Error(Code::kInvalidArgument, std::string(names[i]) + " is a directory");
    }
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_PATH) != 0) {
      return Error(Code::kInvalidArgument, std::string(names[i]) +
                                               " is an O_PATH descriptor: it can be neither read "
                                               "nor written");
    }
  }
  return ok_status();
}

Result<UniqueFd> Session::open_pty(const ExecRequest& request, UniqueFd& slave) const {
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return sys_error("opening a pty (posix_openpt)", errno);
  if (::grantpt(master.get()) < 0 || ::unlockpt(master.get()) < 0) {
    return sys_error("unlocking the pty", errno);
  }
  slave.reset(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return sys_error("opening the pty's slave (TIOCGPTPEER)", errno);
  // The caller's terminal, as login programs leave it: owned by the user, group tty.
  gid_t tty_gid = static_cast<gid_t>(-1);
  mode_t mode = 0600;
  if (const group* g = ::getgrnam("tty"); g != nullptr) {
    tty_gid = g->gr_gid;
    mode = 0620;
  }
  // The mode first, while root owns it: this process has no CAP_FOWNER (session_confine.h).
  if (::fchmod(slave.get(), mode) < 0 || ::fchown(slave.get(), peer_.id.uid, tty_gid) < 0) {
    return sys_error("handing the pty to uid " + std::to_string(peer_.id.uid), errno);
  }
  termios t{};
  if (::tcgetattr(slave.get(), &t) < 0) return sys_error("tcgetattr on the pty", errno);
  const ExecTermModes& m = *request.term;
  t.c_iflag = m.iflag;
  t.c_oflag = m.oflag;
  t.c_cflag = m.cflag;
  t.c_lflag = m.lflag;
  t.c_line = m.line;
  static_assert(sizeof t.c_cc == 32);
  std::copy(m.cc.begin(), m.cc.end(), t.c_cc);
  (void)::cfsetispeed(&t, m.ispeed);
  (void)::cfsetospeed(&t, m.ospeed);
  if (::tcsetattr(slave.get(), TCSANOW, &t) < 0) {
    return sys_error("applying the caller's terminal modes to the pty", errno);
  }
  winsize ws{request.winsize->rows, request.winsize->cols, request.winsize->xpixel,
             request.winsize->ypixel};
  if (::ioctl(slave.get(), TIOCSWINSZ, &ws) < 0) {
    return sys_error("setting the pty's window size", errno);
  }
  return master;
}

int Session::supervise(Launched child, bool pty) {
  bool hung_up = false;
  for (;;) {
    pollfd fds[3] = {{hung_up ? -1 : chan_.get(), POLLIN, 0},
                     {child.pidfd.get(), POLLIN, 0},
                     {sigchld_.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      log("poll failed: " + sys_error("poll", errno).text());
      // Cannot watch the client any more; keep reaping the command.
      hung_up = true;
      continue;
    }
    if ((fds[1].revents | fds[2].revents) != 0) {
      signalfd_siginfo si{};
      while (::read(sigchld_.get(), &si, sizeof si) == sizeof si) {
      }
      int status = 0;
      const pid_t got = ::waitpid(child.pid, &status, WNOHANG | WUNTRACED);
      if (got < 0 && errno != EINTR) {
        log("waitpid failed: " + sys_error("waitpid", errno).text());
        return 1;
      }
      if (got == child.pid && WIFSTOPPED(status)) {
        // Ctrl-Z in the pty (or a stop signal): the caller's side stops too (ExecStopped).
        if (pty && !hung_up) {
          (void)send_exec_frame(conn_.get(),
                                encode_exec(ExecServiceMessage(ExecStopped{WSTOPSIG(status)})), {});
        }
      } else if (got == child.pid) {
        const WaitStatus w = decode_wait_status(status);
        if (std::string note = ignored_.flush(); !note.empty()) log(note);
        log("pid " + std::to_string(child.pid) +
            (w.signaled ? " killed by signal " : " exited with status ") + std::to_string(w.value));
        if (!hung_up) {
          (void)send_exec_frame(
              conn_.get(),
              encode_exec(ExecServiceMessage(
                  ExecExit{w.signaled, static_cast<std::uint8_t>(w.value), w.core_dumped})),
              {});
          await_decoder_end(chan_.get(), kLingerMs);
        }
        return 0;
      }
    }
    if (hung_up || fds[0].revents == 0) continue;
    auto frame = seqpacket_recv(chan_.get(), 0, kOrderLimits);
    if (!frame) {
      if (frame.error().code() == Code::kInvalidArgument) {
        log_ignored(frame.error().text());
        continue;
      }
      // The decoder ended: the client went away (or the socket failed), a hang-up, as when a
      // terminal closes.
      // A stopped command would never see the SIGHUP: continue it, as the kernel does for an
      // orphaned stopped process group.
      log("client gone; SIGHUP to pid " + std::to_string(child.pid));
      (void)::kill(child.pid, SIGHUP);
      (void)::kill(-child.pid, SIGCONT);
      hung_up = true;
      continue;
    }
    auto order = decode_order(frame->bytes);
    if (!order || !frame->fds.empty() || !std::holds_alternative<SignalOrder>(*order)) {
      log_ignored("an order that is not a signal: " +
                  (order ? std::string("unexpected type or descriptors") : order.error().text()));
      continue;
    }
    // The command is not reaped yet (only this loop reaps it), so its pid is still its own. It
    // leads its own session (setsid), so its process group has its pid, and holds only
    // processes of that session: SIGCONT goes to the whole group, as a shell's `fg` does.
    // Checked again here: the decoder is not trusted.
    const int signo = std::get<SignalOrder>(*order).signo;
    if (!is_forwardable_signal(signo) && signo != SIGCONT) {
      log("ignored signal " + std::to_string(signo) + ": not one vpnnsctl forwards");
      continue;
    }
    (void)::kill(signo == SIGCONT ? -child.pid : child.pid, signo);
  }
}

int Session::run() {
  auto peer = peer_of(conn_.get());
  if (!peer) return refuse(peer.error());
  peer_ = std::move(*peer);
  who_ = "user " + peer_.name + " (uid " + std::to_string(peer_.id.uid) + ", pid " +
         std::to_string(peer_.pid) + ")";

  const auto& groups = peer_.id.groups;
  if (peer_.id.gid != config_.group &&
      std::find(groups.begin(), groups.end(), config_.group) == groups.end()) {
    return refuse(
        Error(Code::kPermissionDenied, exec_not_in_group_message(peer_.name, config_.group_name)));
  }

  // From here on this process keeps only what its own steps need, and a child of its own reads
  // and decodes the client's frames (session.h).
  if (Status s = keep_monitor_capabilities(); !s) return refuse(s.error());
  if (Status s = start_decoder(); !s) return refuse(s.error());
  // The decoder is bounded by the request timeout and its refusals' linger; a decoder that stalls
  // beyond holds one of its own caller's sessions, nothing else.
  auto frame = seqpacket_recv(chan_.get(), 2 * kRequestTimeoutMs, kOrderLimits);
  if (!frame) {
    // EOF: the decoder answered the client itself (a refusal) or the client hung up.
    if (is_peer_closed(frame.error())) return 0;
    return refuse(frame.error());
  }
  auto order = decode_order(frame->bytes);
  if (!order) return refuse(order.error());
  auto* request = std::get_if<ExecRequest>(&*order);
  auto* forward = std::get_if<ForwardRequest>(&*order);  // vpnnsctl forward (socket_request.h)
  if (request == nullptr && forward == nullptr) {
    return refuse(Error(Code::kInvalidArgument, "the first message must be a request"));
  }
  const std::size_t want = request != nullptr ? exec_fd_count(request->mode) : 0;
  if (frame->fds.size() != want) {
    return refuse(Error(Code::kInvalidArgument, "the request carries " +
                                                    std::to_string(frame->fds.size()) +
                                                    " descriptors, not " + std::to_string(want)));
  }
  const std::string& netns_name = request != nullptr ? request->netns : forward->netns;
  auto netns = open_marked_netns(netns_name);
  if (!netns) return refuse(netns.error());
  // Who may enter which namespace (exec_policy.h); the refusal names the rule. A forward
  // (socket_request.h) is let in by the same decision.
  const ExecDecision allowed =
      decide_exec(ExecCaller{peer_.id.uid, peer_.id.gid, peer_.id.groups, peer_.name},
                  ExecTarget{netns_name, netns->role},
                  ExecPolicySource{config_.policy_path, config_.group, config_.group_name});
  if (!allowed.allowed) return refuse(Error(Code::kPermissionDenied, allowed.text));
  if (forward != nullptr) {
    // Its endpoints checked here again (the decoder is not trusted), then each socket request.
    if (Status s = check_forward_endpoints(*forward); !s) return refuse(s.error());
    return serve_forward(conn_.get(), chan_.get(), std::move(netns->fd), *forward, peer_.id,
                         who_ + " (allowed by " + allowed.rule + ")");
  }
  if (Status s = check_fds(*request, frame->fds); !s) return refuse(s.error());

  LaunchSpec spec;
  spec.netns_fd = netns->fd.get();
  spec.netns_name = request->netns;
  spec.argv = request->argv;
  spec.env = request->env;
  spec.identity = peer_.id;
  spec.cwd_fd = frame->fds[0].get();
  spec.new_session = true;
  spec.umask = request->umask;
  // The caller's session: scope in their slice, limits, loginuid (user_session.h).
  auto user_session = plan_user_session(peer_.id, request->netns, request->argv.front());
  if (!user_session) return refuse(user_session.error());
  for (const std::string& w : user_session->warnings) log("limits: skipped " + w);
  spec.join_session = [&user_session] { return enter_user_session(*user_session); };
  UniqueFd master, slave;
  if (request->mode == ExecMode::kPipe) {
    spec.stdio = {frame->fds[1].get(), frame->fds[2].get(), frame->fds[3].get()};
  } else {
    auto m = open_pty(*request, slave);
    if (!m) return refuse(m.error());
    master = std::move(*m);
    // This process leads the pty's session and the command is its foreground job (launch.h):
    // so Ctrl-Z stops the command (its group is not orphaned), and we see it (WUNTRACED).
    if (::setsid() < 0) return refuse(sys_error("setsid", errno));
    if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) {
      return refuse(sys_error("making the pty our controlling terminal", errno));
    }
    spec.foreground_tty_fd = slave.get();
    const int err = request->mode == ExecMode::kPtyOwnStderr ? frame->fds[1].get() : slave.get();
    spec.stdio = {slave.get(), slave.get(), err};
  }

  // SIGCHLD through a signalfd tells of stops (a pidfd only of the exit). Blocked before the
  // command exists, so that none is lost; launch() gives the command an empty mask.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &chld, nullptr) < 0) return refuse(sys_error("sigprocmask", errno));
  sigchld_.reset(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigchld_) return refuse(sys_error("signalfd", errno));

  auto launched = launch(spec);
  if (auto* failed = std::get_if<LaunchFailure>(&launched)) {
    return refuse(failed->error, static_cast<std::uint8_t>(failed->exit_status));
  }
  Launched child = std::move(std::get<Launched>(launched));
  log("started '" + printable_name(request->argv.front()) + "' as pid " +
      std::to_string(child.pid) + " in network namespace '" + request->netns + "' (allowed by " +
      allowed.rule + ")");
  log(describe_user_session(*user_session, child.pid));
  // Only the command holds the slave and the caller's descriptors from now on.
  slave.reset();
  frame->fds.clear();
  netns->fd.reset();

  std::vector<int> pass;
  if (master) pass.push_back(master.get());
  if (Status s = send_exec_frame(
          conn_.get(),
          encode_exec(ExecServiceMessage(ExecStarted{static_cast<std::uint32_t>(child.pid)})),
          pass);
      !s) {
    log("could not tell the client: " + s.error().text());
  }
  master.reset();
  return supervise(std::move(child), request->mode != ExecMode::kPipe);
}

}  // namespace

int serve_session(UniqueFd conn, const SessionConfig& config) {
  // Leading a pty's session, this process gets SIGHUP when the pty hangs up, and the terminal's
  // signals if the command makes our process group the foreground one (tcsetpgrp): none of
  // them is for us. (launch() gives the command default dispositions.)
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU}) ::signal(sig, SIG_IGN);
  Session session(std::move(conn), config);
  return session.run();
}

}  // namespace vpnns
