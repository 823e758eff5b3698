// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl forward [-n NAME] [OPTIONS] SPEC... [--reverse SPEC]...
//
// Services across the namespace wall without opening it: byte streams (and datagrams) relayed
// between the host and 127.0.0.1 inside a vpnns namespace, by this process, as the calling user.
// No route, link or address is added to either side: the namespace keeps only lo and the tun.
//
//   [HOST_ADDR:]HOST_PORT:NS_PORT            like ssh -L: host (default 127.0.0.1) -> namespace
//   --reverse NS_PORT:[HOST_ADDR:]HOST_PORT  like ssh -R: namespace -> host
//   /udp after a spec, or --udp for all      datagrams (request/response flows)
//
// The namespace's sockets come from vpnns-execd (forward_ns.h), which admits the caller as for
// `vpnnsctl exec` and makes each socket inside the namespace as the caller; root makes them
// itself. Runs in the foreground until SIGINT, SIGTERM or SIGHUP; says on stderr what it
// relays. Exit status: 0 when stopped by a signal, 64 for a usage error, 125 when it cannot
// start (a refusal, a taken port, not a vpnns namespace) or loses vpnns-execd.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ctl/commands.h"
#include "ctl/exec_internal.h"
#include "ctl/forward_ns.h"
#include "ctl/forward_relay.h"
#include "state/netns_marker.h"

namespace vpnns::ctl {
namespace {

constexpr const char* kForwardUsage =
    "usage: vpnnsctl forward [-n NAME] [--udp] [--max-connections N] [--idle-timeout S]\n"
    "                        [--udp-timeout S] [-v] [--socket=PATH]\n"
    "                        [[HOST_ADDR:]HOST_PORT:NS_PORT[/udp]]...\n"
    "                        [--reverse NS_PORT:[HOST_ADDR:]HOST_PORT[/udp]]...\n";

int usage(const std::string& problem) {
  std::fprintf(stderr, "vpnnsctl forward: %s\n%s", problem.c_str(), kForwardUsage);
  return kExitUsage;
}

int failed(const std::string& message) {
  std::fprintf(stderr, "vpnnsctl forward: %s\n", message.c_str());
  return kExitFailure;
}

bool parse_count(std::string_view s, long min, long max, long& out) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

int forward_command(std::span<char* const> words) {
  const char* env_socket = std::getenv(kExecSocketEnv);
  std::string socket_path =
      env_socket != nullptr && *env_socket != '\0' ? env_socket : kDefaultExecSocket;
  std::string netns;
  bool udp = false;
  RelayOptions options;
  std::vector<std::pair<std::string, bool>> texts;  // spec, reverse
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string_view w = words[i];
    auto value = [&](std::string_view name, std::string& out) -> int {
      if (w.starts_with(std::string(name) + "=")) {
        out = std::string(w.substr(name.size() + 1));
        return 1;
      }
      if (w != name) return 0;
      if (i + 1 >= words.size()) return -1;
      out = words[++i];
      return 1;
    };
    std::string v;
    int got = 0;
    if (w == "-h" || w == "--help") {
      std::fputs(kForwardUsage, stdout);
      return 0;
    }
    if (w == "--udp") {
      udp = true;
    } else if (w == "-v" || w == "--verbose") {
      options.verbose = true;
    } else if ((got = value("-n", netns)) != 0 || (got = value("--netns", netns)) != 0 ||
               (got = value("--socket", socket_path)) != 0) {
      if (got < 0) return usage(std::string(w) + " needs a value");
    } else if ((got = value("--reverse", v)) != 0 || (got = value("-R", v)) != 0) {
      if (got < 0) return usage(std::string(w) + " needs NS_PORT:[HOST_ADDR:]HOST_PORT");
      texts.emplace_back(v, true);
    } else if ((got = value("-L", v)) != 0) {
      if (got < 0) return usage(std::string(w) + " needs [HOST_ADDR:]HOST_PORT:NS_PORT");
      texts.emplace_back(v, false);
    } else if ((got = value("--max-connections", v)) != 0) {
      long n = 0;
      if (got < 0 || !parse_count(v, 1, 65536, n)) {
        return usage("--max-connections needs a number from 1 to 65536");
      }
      options.max_connections = static_cast<std::size_t>(n);
    } else if ((got = value("--idle-timeout", v)) != 0 || (got = value("--udp-timeout", v)) != 0) {
      long n = 0;
      const bool for_udp = w.starts_with("--udp");
      if (got < 0 || !parse_count(v, for_udp ? 1 : 0, 7 * 86400, n)) {
        return usage(std::string(for_udp ? "--udp-timeout" : "--idle-timeout") +
                     " needs seconds (" + (for_udp ? "1" : "0: never") + " to 604800)");
      }
      (for_udp ? options.udp_timeout_s : options.idle_timeout_s) = static_cast<int>(n);
    } else if (w.starts_with("-")) {
      return usage("unknown option '" + printable_name(w) + "'");
    } else {
      texts.emplace_back(std::string(w), false);
    }
  }
  if (texts.empty()) return usage("nothing to forward");
  if (texts.size() > kMaxForwardEndpoints) {
    return usage("at most " + std::to_string(kMaxForwardEndpoints) + " specs in one forward");
  }
  std::vector<ForwardSpec> specs;
  ForwardRequest request;
  for (const auto& [text, reverse] : texts) {
    auto spec = parse_forward_spec(text, reverse, udp);
    if (!spec) return usage(spec.error().text());
    specs.push_back(*spec);
    request.endpoints.push_back(ns_endpoint(*spec));
  }

  if (netns.empty()) {
    const std::vector<std::string> names = list_vpnns_netns();
    if (names.size() != 1) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      return failed(names.empty() ? "no vpnns namespace exists (is an openvpn with netns=NAME "
                                    "running?)"
                                  : "there are several vpnns namespaces (" + list +
                                        "); choose one with -n NAME");
    }
    netns = names.front();
  }
  request.netns = netns;

  // The stopping signals, read from the loop; blocked from here on so that none is lost.
  sigset_t stop;
  sigemptyset(&stop);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop, sig);
  if (::sigprocmask(SIG_BLOCK, &stop, nullptr) < 0) return failed("sigprocmask failed");
  UniqueFd signals(::signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) return failed("signalfd failed");
  ::signal(SIGPIPE, SIG_IGN);

  auto ns = ::getuid() == 0 && ::geteuid() == 0 ? direct_ns_sockets(request)
                                                : service_ns_sockets(socket_path, request);
  if (!ns) return failed(ns.error().text());
  if (Status s = run_relays(specs, netns, **ns, options, signals.get()); !s) {
    return failed(s.error().text());
  }
  return 0;
}

}  // namespace vpnns::ctl
