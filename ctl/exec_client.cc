// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl exec through vpnns-execd: for everyone but root.
//
//   connect   the service's socket (exec_connect.h)
//   mode      a pty when stdin and stdout are terminals and vpnnsctl is in the terminal's
//             foreground process group (a background `vpnnsctl exec ... &` must not take the
//             terminal into raw mode); stderr joins the pty if it is the terminal too, else it
//             is passed as it is (e.g. `2>log`). Otherwise no pty: the command gets vpnnsctl's
//             own fds 0, 1, 2, so pipes and redirections work as for any command.
//   request   argv, the whole environment, the umask, the working directory as an O_PATH
//             descriptor (the service fchdir()s to it as the caller), stdio descriptors; in a
//             pty mode the terminal's modes and window size, which the service applies to the
//             pty before the command starts
//   relay     (pty) vpnnsctl's terminal in raw mode, so Ctrl-C, Ctrl-Z and the like travel as
//             bytes into the pty, where its line discipline turns them into signals for the
//             command's foreground process group; bytes copied both ways; SIGWINCH sets the
//             new size on the pty master (the kernel then signals the command); the terminal
//             is restored on every way out
//   signals   SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM sent to vpnnsctl are
//             passed on as Signal messages (is_forwardable_signal())
//   stops     (pty) Ctrl-Z stops the command inside the pty, not vpnnsctl (raw mode). The service
//             reports it (Stopped); vpnnsctl drains the pty, restores its terminal and stops
//             itself with SIGTSTP, so the caller's shell sees a stopped job; `fg` (SIGCONT)
//             brings back raw mode and sends SIGCONT to the command's process group
//   the end   Exit from the service: vpnnsctl exits with the command's code or dies of its
//             signal. The connection closing first is a failure of the service (125).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "ctl/exec_connect.h"
#include "ctl/exec_internal.h"
#include "ctl/exec_terminal.h"
#include "state/netns_marker.h"

extern char** environ;

namespace vpnns::ctl {
namespace {

// vpnns-execd refuses a connection over its caps before it reads the request, and closes it:
// the request's send then fails, but the refusal is queued (behind an ECONNRESET, when the
// request was already in the service's queue as it closed).
std::optional<ExecRefused> queued_refusal(int conn) {
  for (int i = 0; i < 2; ++i) {
    auto frame = recv_exec_frame(conn, 0);
    if (!frame) {
      if (frame.error().sys_errno() == ECONNRESET) continue;
      return std::nullopt;
    }
    auto message = decode_exec_service(frame->bytes);
    if (!message) return std::nullopt;
    if (auto* refused = std::get_if<ExecRefused>(&*message)) return *refused;
    return std::nullopt;
  }
  return std::nullopt;
}

// After the command's exit, how long to wait for output still in the pty (its last writes
// reach the master asynchronously) when something else keeps the slave open.
constexpr int kDrainIdleMs = 100;
constexpr int kDrainMaxMs = 2000;

// Checks the bounds of exec_wire.h before sending, to say which one is exceeded.
Status check_bounds(const ExecRequest& r, std::size_t frame_size) {
  auto too_long = [](const std::vector<std::string>& v) {
    return std::ranges::any_of(v, [](const std::string& s) { return s.size() > kMaxExecString; });
  };
  if (r.argv.size() > kMaxExecArgs) {
    return Error(Code::kInvalidArgument, "too many arguments (" + std::to_string(r.argv.size()) +
                                             "; vpnns-execd takes at most " +
                                             std::to_string(kMaxExecArgs) + ")");
  }
  if (r.env.size() > kMaxExecEnv) {
    return Error(Code::kInvalidArgument,
                 "too many environment variables (" + std::to_string(r.env.size()) +
                     "; vpnns-execd takes at most " + std::to_string(kMaxExecEnv) + ")");
  }
  if (too_long(r.argv) || too_long(r.env)) {
    return Error(Code::kInvalidArgument, "an argument or environment variable is longer than " +
                                             std::to_string(kMaxExecString) +
                                             " bytes, the most vpnns-execd takes");
  }
  if (frame_size > kMaxExecFrame) {
    return Error(Code::kInvalidArgument,
                 "the arguments and environment together are too large for vpnns-execd (" +
                     std::to_string(frame_size) + " bytes; at most " +
                     std::to_string(kMaxExecFrame) + ")");
  }
  return ok_status();
}

// stdio descriptor `fd`, or /dev/null in its place when vpnnsctl was started without it.
UniqueFd stdio_or_null(int fd, std::vector<int>& pass) {
  if (::fcntl(fd, F_GETFD) >= 0) {
    pass.push_back(fd);
    return UniqueFd();
  }
  UniqueFd null(::open("/dev/null", (fd == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC));
  pass.push_back(null.get());
  return null;
}

long now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1'000'000;
}

class Client {
 public:
  Client(UniqueFd conn, UniqueFd signals) : conn_(std::move(conn)), signals_(std::move(signals)) {}

  // Waits for Started (with the pty master in a pty mode) or Refused.
  struct Start {
    UniqueFd master;
    std::optional<ExecRefused> refused;
  };
  Result<Start> await_start(bool pty);
  int relay(UniqueFd master, RawTerminal& terminal);  // pty mode
  int wait();                                         // pipe mode

 private:
  // A message from the service while the command runs: Exit (or, with `stopped_ok`, Stopped),
  // or a failure.
  Result<ExecServiceMessage> read_running(bool stopped_ok);
  // The command stopped (Ctrl-Z): give the terminal back and stop the same way; once resumed,
  // take the terminal again and resume the command.
  void stop_like(int signo, int master, RawTerminal& terminal);
  void forward(int sig) {
    (void)send_exec_frame(conn_.get(), encode_exec(ExecClientMessage(ExecSignal{sig})), {});
  }
  // Handles pending signals: forwards them, or (pty) passes a new window size on / re-enters
  // raw mode after a stop.
  void on_signals(int master, RawTerminal* terminal);

  UniqueFd conn_;
  UniqueFd signals_;
};

Result<Client::Start> Client::await_start(bool pty) {
  auto frame = recv_exec_frame(conn_.get(), -1);
  // A refusal over the caps may be queued behind a reset (see queued_refusal()).
  if (!frame && frame.error().sys_errno() == ECONNRESET) frame = recv_exec_frame(conn_.get(), 0);
  if (!frame) {
    if (is_peer_closed(frame.error())) {
      return Error(Code::kUnavailable, "vpnns-execd closed the connection without an answer");
    }
    return frame.error();
  }
  auto message = decode_exec_service(frame->bytes);
  if (!message) return message.error();
  Start start;
  if (auto* refused = std::get_if<ExecRefused>(&*message)) {
    VPNNS_TRY(check_fd_count(*frame, 0, "the refusal"));
    start.refused = std::move(*refused);
    return start;
  }
  if (!std::holds_alternative<ExecStarted>(*message)) {
    return Error(Code::kInternal, "vpnns-execd answered with an unexpected message");
  }
  VPNNS_TRY(check_fd_count(*frame, pty ? 1 : 0, "the start message"));
  if (pty) start.master = std::move(frame->fds.front());
  return start;
}

Result<ExecServiceMessage> Client::read_running(bool stopped_ok) {
  auto frame = recv_exec_frame(conn_.get(), 0);
  if (!frame) {
    if (is_peer_closed(frame.error())) {
      return Error(Code::kUnavailable,
                   "vpnns-execd closed the connection before the command ended");
    }
    return frame.error();
  }
  auto message = decode_exec_service(frame->bytes);
  if (!message) return message.error();
  const bool expected = std::holds_alternative<ExecExit>(*message) ||
                        (stopped_ok && std::holds_alternative<ExecStopped>(*message));
  if (!expected || !frame->fds.empty()) {
    return Error(Code::kInternal, "vpnns-execd sent an unexpected message");
  }
  // The Result itself, not a moved-out variant: GCC 12 at -O1 warns (maybe-uninitialized)
  // about the temporary the latter builds.
  return message;
}

void Client::stop_like(int signo, int master, RawTerminal& terminal) {
  // What the command wrote before it stopped (an editor restoring the screen) comes first.
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0 || !write_all(STDOUT_FILENO, buf, static_cast<std::size_t>(n))) break;
  }
  terminal.restore();
  // SIGTSTP rather than SIGSTOP, so that a caller who ignores it (no job control) is obeyed;
  // the kernel also drops it when our process group is orphaned. Either way we go on at once.
  (void)::raise(signo == SIGTTIN || signo == SIGTTOU ? signo : SIGTSTP);
  (void)terminal.enter();
  forward(SIGCONT);
}

void Client::on_signals(int master, RawTerminal* terminal) {
  signalfd_siginfo si{};
  while (::read(signals_.get(), &si, sizeof si) == sizeof si) {
    const int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGWINCH) {
      winsize ws{};
      if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) (void)::ioctl(master, TIOCSWINSZ, &ws);
    } else if (sig == SIGCONT) {
      // Back from a stop: the shell may have put the terminal back into its own modes; the
      // command may be stopped too (it does not mind a SIGCONT if not).
      if (terminal != nullptr) (void)terminal->enter();
      forward(SIGCONT);
    } else {
      forward(sig);
    }
  }
}

int Client::wait() {
  for (;;) {
    pollfd fds[2] = {{conn_.get(), POLLIN, 0}, {signals_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return exec_failed(sys_error("poll", errno).text());
    }
    if ((fds[1].revents & POLLIN) != 0) on_signals(-1, nullptr);
    if (fds[0].revents != 0) {
      auto exit = read_running(false);
      if (!exit) return exec_failed(exit.error().text());
      exit_like(std::get<ExecExit>(*exit));
    }
  }
}

int Client::relay(UniqueFd master, RawTerminal& terminal) {
  if (Status s = terminal.enter(); !s) return exec_failed(s.error().text());
  (void)::fcntl(master.get(), F_SETFL, ::fcntl(master.get(), F_GETFL) | O_NONBLOCK);
  std::string to_master;
  char buf[16384];
  bool stdin_open = true, master_open = true;
  std::optional<ExecExit> exit;
  long drain_start = 0, last_output = 0;

  for (;;) {
    if (exit) {
      const long now = now_ms();
      if (!master_open || now - last_output >= kDrainIdleMs || now - drain_start >= kDrainMaxMs) {
        terminal.restore();
        exit_like(*exit);
      }
    }
    pollfd fds[4] = {
        {stdin_open && to_master.empty() && !exit ? STDIN_FILENO : -1, POLLIN, 0},
        {master_open ? master.get() : -1,
         static_cast<short>(POLLIN | (to_master.empty() ? 0 : POLLOUT)), 0},
        {exit ? -1 : conn_.get(), POLLIN, 0},
        {signals_.get(), POLLIN, 0},
    };
    if (::poll(fds, 4, exit ? kDrainIdleMs : -1) < 0) {
      if (errno == EINTR) continue;
      terminal.restore();
      return exec_failed(sys_error("poll", errno).text());
    }
    if ((fds[3].revents & POLLIN) != 0) on_signals(master.get(), &terminal);
    if (fds[0].revents != 0) {
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0) {
        to_master.assign(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stdin_open = false;  // our terminal hung up; SIGHUP tells the command
      }
    }
    if (master_open && (fds[1].revents & POLLOUT) != 0 && !to_master.empty()) {
      const ssize_t n = ::write(master.get(), to_master.data(), to_master.size());
      if (n > 0) to_master.erase(0, static_cast<std::size_t>(n));
    }
    if (master_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::read(master.get(), buf, sizeof buf);
      if (n > 0) {
        last_output = now_ms();
        if (!write_all(STDOUT_FILENO, buf, static_cast<std::size_t>(n))) stdin_open = false;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        master_open = false;  // EIO: every slave descriptor is closed
      }
    }
    if (fds[2].revents != 0) {
      auto e = read_running(true);
      if (!e) {
        terminal.restore();
        return exec_failed(e.error().text());
      }
      if (const auto* stopped = std::get_if<ExecStopped>(&*e)) {
        stop_like(stopped->signo, master.get(), terminal);
        continue;
      }
      exit = std::get<ExecExit>(*e);
      drain_start = last_output = now_ms();
    }
  }
}

}  // namespace

int exec_via_service(const ExecArgs& args) {
  auto conn = connect_service(args.socket_path);
  if (!conn) return exec_failed(conn.error().text());

  const bool pty = ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1 &&
                   ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
  ExecRequest request;
  request.netns = args.netns;
  request.argv = args.argv;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) request.env.emplace_back(*e);
  const mode_t mask = ::umask(022);
  ::umask(mask);
  request.umask = static_cast<std::uint16_t>(mask & 0777);
  RawTerminal terminal(STDIN_FILENO);
  if (pty) {
    request.mode = ::isatty(STDERR_FILENO) == 1 ? ExecMode::kPty : ExecMode::kPtyOwnStderr;
    termios t{};
    winsize ws{};
    if (::tcgetattr(STDIN_FILENO, &t) < 0 || ::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
      return exec_failed(sys_error("reading the terminal's settings", errno).text());
    request.term = modes_of(t);
    request.winsize = ExecWinSize{ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel};
  }
  const std::vector<std::uint8_t> frame = encode_exec(ExecClientMessage(request));
  if (Status s = check_bounds(request, frame.size()); !s) return exec_failed(s.error().text());

  UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cwd) return exec_failed(sys_error("opening the working directory", errno).text());
  std::vector<int> pass = {cwd.get()};
  std::vector<UniqueFd> nulls;
  if (request.mode == ExecMode::kPipe) {
    for (int fd = 0; fd < 3; ++fd) nulls.push_back(stdio_or_null(fd, pass));
  } else if (request.mode == ExecMode::kPtyOwnStderr) {
    nulls.push_back(stdio_or_null(STDERR_FILENO, pass));
  }

  // Signals are caught from before the request, so none meant for the command is lost.
  auto blocked = block_forwarded_signals(pty);
  if (!blocked) return exec_failed(blocked.error().text());
  UniqueFd signals = std::move(*blocked);

  if (Status s = send_exec_frame(conn->get(), frame, pass); !s) {
    if (auto refused = queued_refusal(conn->get())) {
      exec_error(refused->message);
      return refused->status;
    }
    return exec_failed("sending the request to vpnns-execd: " + s.error().text());
  }
  cwd.reset();
  nulls.clear();

  Client client(std::move(*conn), std::move(signals));
  auto start = client.await_start(pty);
  if (!start) return exec_failed(start.error().text());
  if (start->refused) {
    // The service's words, and the status it chose (125, 126 or 127).
    exec_error(start->refused->message);
    return start->refused->status;
  }
  if (!pty) return client.wait();
  return client.relay(std::move(start->master), terminal);
}

}  // namespace vpnns::ctl
