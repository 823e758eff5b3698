// SPDX-License-Identifier: GPL-2.0-or-later
// vpnns-execd: runs commands inside vpnns namespaces for members of one group, so that
// `vpnnsctl exec` needs no sudo.
//
//   vpnns-execd [--socket=PATH] [--group=NAME] [--policy=FILE]
//
// Started by systemd (vpnns-execd.socket hands it the listening socket: SocketMode=0660,
// SocketGroup=vpnns) or by hand as root, when it creates the socket itself at PATH (default
// /run/vpnns/exec.sock): an AF_UNIX SOCK_SEQPACKET socket, owned by root, group NAME (default
// vpnns), mode 0660, in a directory that only root may write. The socket's mode is the first
// gate (only root and the group can connect); session.cc checks the group again from the
// kernel's record of the caller (SO_PEERCRED, SO_PEERGROUPS), which is the one that counts.
// Which namespaces a member may enter is the exec policy's to say (state/exec_policy.h: FILE,
// default /etc/vpnns/exec-policy, read at every request; without it, client namespaces only).
//
// This process only accepts: it reads nothing from a client. Per connection it reads the
// caller's uid (SO_PEERCRED) to enforce the caps below, then forks; the child serves the
// connection (session.h) and exits when the command does. Children are reaped through a
// signalfd for SIGCHLD, so none lingers as a zombie; each accepted socket is closed here right
// after the fork, and the children close the listening socket, so no descriptor of one
// connection reaches another.
//
// Caps, so that one member of the group cannot exhaust the service for the others: at most
// --max-sessions-per-user (default 64) running commands per uid and kMaxSessions in all; a
// connection over the cap gets a refusal that says so. A session that sends no request is
// dropped after session.h's timeout. The count survives a restart of the service: sessions are
// recorded in SOCKET.sessions/ and a new service counts those still running
// (session_registry.h).
//
// Under systemd, vpnns-execd.service has KillMode=process: stopping or restarting the service
// ends this process only, and the commands people started keep running (their sessions still
// report their exit status).
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "exec_ipc/exec_wire.h"
#include "execd/session.h"
#include "execd/session_registry.h"
#include "execd/user_session.h"

namespace vpnns {
namespace {

constexpr const char* kDefaultSocket = "/run/vpnns/exec.sock";
constexpr const char* kDefaultGroup = "vpnns";
constexpr std::size_t kMaxSessions = 1024;
constexpr std::size_t kDefaultMaxSessionsPerUser = 64;

constexpr const char* kUsage =
    "usage: vpnns-execd [--socket=PATH] [--group=NAME] [--policy=FILE]\n"
    "                   [--max-sessions-per-user=N]\n"
    "  Runs commands inside vpnns network namespaces for members of group NAME\n"
    "  (default vpnns), for `vpnnsctl exec`. Listens on PATH (default /run/vpnns/exec.sock),\n"
    "  or on the socket systemd passes (vpnns-execd.socket). At most N commands per user\n"
    "  (default 64). Runs as root.\n"
    "  Who may enter which namespace: FILE (default /etc/vpnns/exec-policy; see vpnnsctl(1)).\n";

struct Options {
  std::string socket_path = kDefaultSocket;
  std::string group = kDefaultGroup;
  std::size_t max_per_user = kDefaultMaxSessionsPerUser;
  std::string policy = kExecPolicyPath;
};

Result<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&](std::string_view name, std::string& out) -> Result<bool> {
      if (a.starts_with(std::string(name) + "=")) {
        out = std::string(a.substr(name.size() + 1));
        return true;
      }
      if (a != name) return false;
      if (i + 1 >= argc) {
        return Error(Code::kInvalidArgument, std::string(name) + " needs a value");
      }
      out = argv[++i];
      return true;
    };
    VPNNS_ASSIGN_OR_RETURN(bool s, value("--socket", o.socket_path));
    if (s) continue;
    VPNNS_ASSIGN_OR_RETURN(bool g, value("--group", o.group));
    if (g) continue;
    std::string max;
    VPNNS_ASSIGN_OR_RETURN(bool m, value("--max-sessions-per-user", max));
    if (m) {
      char* end = nullptr;
      const unsigned long n = std::strtoul(max.c_str(), &end, 10);
      if (max.empty() || *end != '\0' || n < 1 || n > kMaxSessions) {
        return Error(Code::kInvalidArgument, "--max-sessions-per-user must be 1 to " +
                                                 std::to_string(kMaxSessions) + ", not '" + max +
                                                 "'");
      }
      o.max_per_user = n;
      continue;
    }
    VPNNS_ASSIGN_OR_RETURN(bool p, value("--policy", o.policy));
    if (p) continue;
    return Error(Code::kInvalidArgument, "unknown argument '" + std::string(a) + "'");
  }
  if (o.socket_path.empty() || o.socket_path.front() != '/') {
    return Error(Code::kInvalidArgument, "--socket must be an absolute path");
  }
  if (o.policy.empty() || o.policy.front() != '/') {
    return Error(Code::kInvalidArgument, "--policy must be an absolute path");
  }
  if (o.socket_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Error(Code::kInvalidArgument, "--socket path is too long");
  }
  return o;
}

Result<gid_t> group_id(const std::string& name) {
  std::vector<char> buf(65536);
  group g{};
  group* found = nullptr;
  const int err = ::getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found);
  if (err != 0) return sys_error("looking up group '" + name + "'", err);
  if (found == nullptr) {
    return Error(Code::kNotFound, "group '" + name +
                                      "' does not exist; create it (groupadd --system " + name +
                                      ") and add the users who may run commands in vpnns "
                                      "namespaces");
  }
  return g.gr_gid;
}

// The socket systemd passed (LISTEN_PID/LISTEN_FDS, fd 3), if any.
Result<UniqueFd> activated_socket() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr || std::atol(pid) != static_cast<long>(::getpid())) {
    return UniqueFd();
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (std::string_view(fds) != "1") {
    return Error(Code::kInvalidArgument,
                 std::string("systemd passed ") + fds + " sockets; vpnns-execd takes exactly one");
  }
  constexpr int kFd = 3;
  int type = 0, domain = 0, listening = 0;
  socklen_t len = sizeof type;
  const bool ok =
      ::getsockopt(kFd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
      (len = sizeof domain, ::getsockopt(kFd, SOL_SOCKET, SO_DOMAIN, &domain, &len)) == 0 &&
      (len = sizeof listening, ::getsockopt(kFd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) == 0;
  if (!ok || type != SOCK_SEQPACKET || domain != AF_UNIX || listening != 1) {
    return Error(Code::kInvalidArgument,
                 "the socket systemd passed is not a listening AF_UNIX SOCK_SEQPACKET socket "
                 "(vpnns-execd.socket needs ListenSequentialPacket=)");
  }
  (void)::fcntl(kFd, F_SETFD, FD_CLOEXEC);
  return UniqueFd(kFd);
}

// The directory that holds the socket must be root's alone: whoever may write it may replace
// the socket with their own.
Status check_socket_dir(const std::string& path) {
  std::string dir = path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  if (path == kDefaultSocket && ::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) {
    return sys_error("creating " + dir, errno);
  }
  struct stat st = {};
  if (::stat(dir.c_str(), &st) < 0) return sys_error("stat " + dir, errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error(Code::kPermissionDenied,
                 "the socket's directory " + dir +
                     " must be a directory owned by root and writable by root alone");
  }
  return ok_status();
}

Result<UniqueFd> bind_socket(const std::string& path, gid_t gid) {
  VPNNS_TRY(check_socket_dir(path));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st = {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Error(Code::kFailedPrecondition, path + " exists and is not a socket");
    }
    UniqueFd probe(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (probe && ::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      return Error(Code::kFailedPrecondition, "another vpnns-execd already listens on " + path);
    }
    if (::unlink(path.c_str()) < 0) return sys_error("removing the stale socket " + path, errno);
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error("socket", errno);
  // Nobody but root may connect until the group and mode are set.
  const mode_t old = ::umask(0177);
  const int bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int bind_err = errno;
  ::umask(old);
  if (bound < 0) return sys_error("binding " + path, bind_err);
  if (::chown(path.c_str(), 0, gid) < 0 || ::chmod(path.c_str(), 0660) < 0) {
    const int err = errno;
    (void)::unlink(path.c_str());
    return sys_error("setting the owner and mode of " + path, err);
  }
  if (::listen(fd.get(), 64) < 0) return sys_error("listen", errno);
  return fd;
}

// fds 0..2 must be open, or the first descriptor opened would pose as stdio.
void ensure_stdio() {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) (void)::open("/dev/null", O_RDWR);
  }
}

// SOCKET.sessions, for the socket we listen on (created here or passed by systemd).
std::string sessions_dir(int listener) {
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
      len > offsetof(sockaddr_un, sun_path) && addr.sun_path[0] == '/') {
    return std::string(addr.sun_path, strnlen(addr.sun_path, sizeof addr.sun_path)) + ".sessions";
  }
  return std::string(kDefaultSocket) + ".sessions";
}

class Service {
 public:
  Service(UniqueFd listener, SessionConfig config, SessionRegistry registry,
          std::size_t max_per_user)
      : listener_(std::move(listener)),
        config_(std::move(config)),
        registry_(std::move(registry)),
        max_per_user_(max_per_user) {}

  int run(const std::string& created_socket);

 private:
  void accept_one();
  void reap();
  void refuse(int conn, const std::string& why) {
    std::fprintf(stderr, "vpnns-execd: %s\n", why.c_str());
    (void)send_exec_frame(
        conn, encode_exec(ExecServiceMessage(ExecRefused{Code::kUnavailable, why, 125})), {});
  }

  UniqueFd listener_;
  UniqueFd signals_;
  SessionConfig config_;
  SessionRegistry registry_;
  std::size_t max_per_user_;
  sigset_t blocked_{};
};

void Service::accept_one() {
  UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) {
    const int err = errno;
    if (err != EAGAIN && err != EINTR && err != ECONNABORTED) {
      std::fprintf(stderr, "vpnns-execd: accept: %s\n", std::strerror(err));
      if (err == EMFILE || err == ENFILE) ::usleep(100'000);  // do not spin
    }
    return;
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(conn.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return;
  const std::size_t mine = registry_.count(cred.uid);
  if (registry_.count() >= kMaxSessions) {
    return refuse(conn.get(), "too many commands running through vpnns-execd (" +
                                  std::to_string(kMaxSessions) + "); try again later");
  }
  if (mine >= max_per_user_) {
    return refuse(conn.get(), "uid " + std::to_string(cred.uid) + " already runs " +
                                  std::to_string(mine) +
                                  " commands through vpnns-execd, the most it may");
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    return refuse(conn.get(), "cannot start a session: " + sys_error("fork", errno).text());
  }
  if (pid == 0) {
    listener_.reset();
    signals_.reset();
    ::signal(SIGPIPE, SIG_IGN);
    (void)::sigprocmask(SIG_UNBLOCK, &blocked_, nullptr);
    // Recorded before anything else, so that a restarted service still counts it.
    if (Status s = registry_.record_self(cred.uid); !s) {
      std::fprintf(stderr, "vpnns-execd: session %d not recorded: %s\n",
                   static_cast<int>(::getpid()), s.error().text().c_str());
    }
    ::_exit(serve_session(std::move(conn), config_));
  }
  registry_.started(pid, cred.uid);
}

void Service::reap() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    registry_.reaped(pid);
  }
}

int Service::run(const std::string& created_socket) {
  sigemptyset(&blocked_);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&blocked_, sig);
  if (::sigprocmask(SIG_BLOCK, &blocked_, nullptr) < 0) {
    std::fprintf(stderr, "vpnns-execd: sigprocmask: %s\n", std::strerror(errno));
    return 1;
  }
  ::signal(SIGPIPE, SIG_IGN);
  signals_.reset(::signalfd(-1, &blocked_, SFD_CLOEXEC));
  if (!signals_) {
    std::fprintf(stderr, "vpnns-execd: signalfd: %s\n", std::strerror(errno));
    return 1;
  }
  struct stat created = {};
  if (!created_socket.empty()) (void)::stat(created_socket.c_str(), &created);

  for (;;) {
    pollfd fds[3] = {
        {listener_.get(), POLLIN, 0}, {signals_.get(), POLLIN, 0}, {registry_.fd(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "vpnns-execd: poll: %s\n", std::strerror(errno));
      return 1;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      signalfd_siginfo si{};
      if (::read(signals_.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
          reap();
        } else if (si.ssi_signo != SIGHUP) {
          break;
        }
      }
    }
    if ((fds[2].revents & POLLIN) != 0) registry_.check_adopted();
    if ((fds[0].revents & POLLIN) != 0) accept_one();
  }
  // Stop listening; running sessions carry on with their commands.
  if (!created_socket.empty()) {
    struct stat now = {};
    if (::stat(created_socket.c_str(), &now) == 0 && now.st_ino == created.st_ino &&
        now.st_dev == created.st_dev) {
      (void)::unlink(created_socket.c_str());
    }
  }
  std::fprintf(stderr, "vpnns-execd: stopped (%zu sessions still running)\n", registry_.count());
  return 0;
}

int run(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  auto options = parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr, "vpnns-execd: %s\n%s", options.error().text().c_str(), kUsage);
    return 64;
  }
  if (::geteuid() != 0) {
    std::fputs("vpnns-execd: must run as root (it enters namespaces and changes identity)\n",
               stderr);
    return 1;
  }
  ensure_stdio();
  if (::chdir("/") < 0) {
    std::fprintf(stderr, "vpnns-execd: chdir /: %s\n", std::strerror(errno));
    return 1;
  }
  ::umask(022);
  auto gid = group_id(options->group);
  if (!gid) {
    std::fprintf(stderr, "vpnns-execd: %s\n", gid.error().text().c_str());
    return 1;
  }
  auto listener = activated_socket();
  if (!listener) {
    std::fprintf(stderr, "vpnns-execd: %s\n", listener.error().text().c_str());
    return 1;
  }
  std::string created;
  if (!*listener) {
    listener = bind_socket(options->socket_path, *gid);
    if (!listener) {
      std::fprintf(stderr, "vpnns-execd: %s\n", listener.error().text().c_str());
      return 1;
    }
    created = options->socket_path;
    std::fprintf(stderr, "vpnns-execd: listening on %s for group %s (gid %u)\n", created.c_str(),
                 options->group.c_str(), static_cast<unsigned>(*gid));
  } else {
    std::fprintf(stderr, "vpnns-execd: serving the socket systemd passed, for group %s (gid %u)\n",
                 options->group.c_str(), static_cast<unsigned>(*gid));
  }
  // The sessions' records live beside the socket (session_registry.h).
  auto registry = SessionRegistry::open(sessions_dir(listener->get()));
  if (!registry) {
    std::fprintf(stderr, "vpnns-execd: %s\n", registry.error().text().c_str());
    return 1;
  }
  if (registry->adopted() > 0) {
    std::fprintf(stderr,
                 "vpnns-execd: %zu sessions of an earlier vpnns-execd still run; they count "
                 "towards the caps\n",
                 registry->adopted());
  }
  std::fprintf(stderr, "vpnns-execd: %s\n", user_session_mode().c_str());
  Service service(std::move(*listener), SessionConfig{*gid, options->group, options->policy},
                  std::move(*registry), options->max_per_user);
  return service.run(created);
}

}  // namespace
}  // namespace vpnns

int main(int argc, char** argv) { return vpnns::run(argc, argv); }
