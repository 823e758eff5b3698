// SPDX-License-Identifier: GPL-2.0-or-later
// vpnns-helper: the root side of vpnns. Started only by vpnns.so (see plugin/helper_process.h).
//
//   vpnns-helper --socket-fd=3 --parent-pid=PID [--remote=HOST...] -- KEY=VALUE...
//
// The words after "--" are the plugin's configuration in canonical form; they are parsed with
// the same code as in the plugin and are the only thing that decides where the helper acts;
// --remote names the hosts openvpn's configuration connects to (the seal's evidence).
// The socket must be an AF_UNIX SOCK_SEQPACKET socket; everything that arrives on it is
// untrusted.
//
// Life cycle: check the socket and that openvpn (PID) is still our parent; check the capabilities
// start-up needs; prepare (namespace, netlink sockets, the seal's checks); give up every power
// but CAP_NET_ADMIN, confine the file system with Landlock and install the seccomp filter
// (confine.h); answer Hello — or a Reply with
// the reason it cannot start, then exit 1.
// Then one request, one reply, until CLOSE (tear down, reply, exit 0), EOF on the socket
// (openvpn died or dropped us: tear down, exit 0) or SIGTERM/SIGINT/SIGHUP (openvpn's death
// via PR_SET_PDEATHSIG, or an administrator: tear down, exit 0). The helper never runs
// anything but its own code. Between requests, once they pause, it rewrites its state file
// (service.h).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "helper/confine.h"
#include "helper/service.h"
#include "helper_ipc/channel.h"
#include "helper_ipc/wire.h"

namespace vpnns {
namespace {

struct Args {
  int socket_fd = -1;
  pid_t parent = 0;
  std::vector<std::string> config_words;
  std::vector<std::string> remotes;  // --remote=HOST: the seal's evidence (peer_evidence.h)
};

// A host as openvpn's `remote` (or a proxy) may name it: a DNS name or an IP literal (with an
// IPv6 zone), nothing a resolver could take for anything else.
bool is_host_word(std::string_view h) {
  return !h.empty() && h.size() <= 255 && h.front() != '-' && std::ranges::all_of(h, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_' ||
           c == ':' || c == '%';
  });
}

// The whole of `text` as a decimal number in [min, max]: no sign, blank or trailing text.
Result<long> parse_number(std::string_view option, std::string_view text, long min, long max) {
  long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || text.front() == '-' || ec != std::errc() || ptr != end || value < min ||
      value > max) {
    return Error(Code::kInvalidArgument, std::string(option) + "'" + std::string(text) +
                                             "' is not a number from " + std::to_string(min) +
                                             " to " + std::to_string(max));
  }
  return value;
}

Result<Args> parse_args(int argc, char** argv) {
  Args args;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    constexpr std::string_view kSocketFd = "--socket-fd=";
    constexpr std::string_view kParentPid = "--parent-pid=";
    if (a.starts_with(kSocketFd)) {
      VPNNS_ASSIGN_OR_RETURN(long fd, parse_number(kSocketFd, a.substr(kSocketFd.size()), 0,
                                                   std::numeric_limits<int>::max()));
      args.socket_fd = static_cast<int>(fd);
    } else if (a.starts_with(kParentPid)) {
      VPNNS_ASSIGN_OR_RETURN(long pid, parse_number(kParentPid, a.substr(kParentPid.size()), 1,
                                                    std::numeric_limits<pid_t>::max()));
      args.parent = static_cast<pid_t>(pid);
    } else if (constexpr std::string_view kRemote = "--remote="; a.starts_with(kRemote)) {
      const std::string_view host = a.substr(kRemote.size());
      if (!is_host_word(host) || args.remotes.size() >= kMaxRemotes) {
        return Error(Code::kInvalidArgument, "--remote='" + std::string(host) +
                                                 "' is not a host name or address (or one "
                                                 "too many)");
      }
      args.remotes.emplace_back(host);
    } else {
      return Error(Code::kInvalidArgument, "unknown option " + std::string(a));
    }
  }
  for (; i < argc; ++i) args.config_words.emplace_back(argv[i]);
  if (args.socket_fd < 0 || args.parent <= 0) {
    return Error(Code::kInvalidArgument,
                 "vpnns-helper is started by vpnns.so, not by hand (usage: vpnns-helper "
                 "--socket-fd=N --parent-pid=PID -- KEY=VALUE...)");
  }
  return args;
}

Status check_socket(int fd) {
  int type = 0, domain = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
    return sys_error("fd " + std::to_string(fd) + " is not a socket", errno);
  }
  len = sizeof domain;
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0) {
    return sys_error("SO_DOMAIN", errno);
  }
  if (type != SOCK_SEQPACKET || domain != AF_UNIX) {
    return Error(Code::kInvalidArgument,
                 "fd " + std::to_string(fd) + " is not an AF_UNIX SOCK_SEQPACKET socket");
  }
  return ok_status();
}

// Sends a start-up failure to the plugin, which logs the reason, and returns the exit status.
// Only if that fails is stderr (openvpn's log, or nothing) the messenger.
int fail_start(int fd, const Error& error) {
  if (!send_frame(fd, encode_reply(Reply::from(error)))) {
    std::fprintf(stderr, "vpnns-helper: %s\n", error.text().c_str());
  }
  return 1;
}

int run(int argc, char** argv) {
  auto args = parse_args(argc, argv);
  if (!args) {
    std::fprintf(stderr, "vpnns-helper: %s\n", args.error().text().c_str());
    return 2;
  }
  const int fd = args->socket_fd;
  if (Status s = check_socket(fd); !s) {
    std::fprintf(stderr, "vpnns-helper: %s\n", s.error().text().c_str());
    return 2;
  }
  // PR_SET_PDEATHSIG was set before exec; if openvpn already died we would never get it.
  if (::getppid() != args->parent) return 0;

  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, sig);
  if (::sigprocmask(SIG_BLOCK, &signals, nullptr) < 0)
    return fail_start(fd, sys_error("sigprocmask", errno));
  UniqueFd sigfd(::signalfd(-1, &signals, SFD_CLOEXEC));
  if (!sigfd) return fail_start(fd, sys_error("signalfd", errno));

  auto config = parse_config(args->config_words, ConfigDefaults{});
  if (!config) return fail_start(fd, config.error());

  // A fixed, harmless place and file mode creation mask; the environment is already empty.
  if (::chdir("/") < 0) return fail_start(fd, sys_error("chdir /", errno));
  ::umask(022);
  if (Status s = check_startup_capabilities(*config); !s) return fail_start(fd, s.error());

  auto service = Service::start(*config, args->parent, kStateDir, kDnsUpdownDir, args->remotes);
  if (!service) return fail_start(fd, service.error());

  // Everything that needed power is done: from here on CAP_NET_ADMIN, no new privileges, and
  // only the system calls the event loop makes (confine.h).
  Status confined = drop_privileges();
  if (confined) {
    auto landlock = confine_filesystem(*config);
    if (!landlock) {
      confined = landlock.status();
    } else if (*landlock == 0) {
      std::fprintf(stderr,
                   "vpnns-helper: this kernel has no Landlock (not built, or not in lsm=): the "
                   "helper runs without its file-system confinement\n");
    }
  }
  if (confined) confined = install_seccomp_filter();
  if (!confined) {
    (void)service->teardown();
    return fail_start(fd, confined.error());
  }

  if (Status s = send_frame(
          fd, encode_hello(Hello{kProtocolVersion, static_cast<std::uint32_t>(::getpid())}));
      !s) {
    (void)service->teardown();
    return 1;
  }

  for (;;) {
    // The state file is written between requests, once they pause (service.h).
    service->write_state_if_due();
    std::vector<pollfd> fds = {{fd, POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
    for (int w : service->watched_fds()) fds.push_back({w, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), service->state_timeout_ms()) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      // A termination signal: say which and from whom (openvpn's log has the helper's stderr),
      // then tear down and exit.
      signalfd_siginfo info{};
      if (::read(sigfd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        std::fprintf(stderr, "vpnns-helper: signal %u from pid %u: tearing down\n", info.ssi_signo,
                     info.ssi_pid);
      }
      break;
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if ((fds[i].revents & POLLIN) != 0) service->on_readable(fds[i].fd);
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;

    // UP may carry openvpn's tun descriptors (helper/tun_holder.h); Service refuses them elsewhere.
    auto frame = recv_request_frame(fd, -1);
    if (!frame) {
      // Malformed at the socket level (oversized, ancillary data): refuse and carry on.
      // Anything else — EOF above all — means openvpn is gone.
      if (frame.error().code() != Code::kInvalidArgument) {
        if (!is_peer_closed(frame.error())) {
          std::fprintf(stderr, "vpnns-helper: %s: tearing down\n", frame.error().text().c_str());
        }
        break;
      }
      if (!send_frame(fd, encode_reply(Reply::from(frame.status())))) {
        break;
      }
      continue;
    }
    auto request = decode_request(frame->bytes);
    Reply reply =
        request ? service->handle(*request, std::move(frame->fds)) : Reply::from(request.status());
    if (!send_frame(fd, encode_reply(reply))) break;
    if (request && std::holds_alternative<CloseRequest>(*request)) return 0;
  }
  (void)service->teardown();
  return 0;
}

}  // namespace
}  // namespace vpnns

int main(int argc, char** argv) { return vpnns::run(argc, argv); }
