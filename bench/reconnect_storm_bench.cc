// SPDX-License-Identifier: GPL-2.0-or-later
// A reconnect storm on one server instance: every client drops and comes back with a new
// address (a network blip, a restart of the clients' side), and the time until the client set
// is exact again.
//
//   vpnns    vpnns.so loaded like openvpn loads it, as a server with client-set= on a plain
//            `type ipv6_addr` set (a hash: its cost per change does not depend on its size):
//            CLIENTS clients connect and learn an address (not timed); then, timed, every one
//            leaves (CLIENT_DISCONNECT, then openvpn's learn-address delete) and every one comes
//            back (CLIENT_CONNECT_V2 with a new client context, learn-address add of a new
//            address). The set is exact when the last event returns (each event is committed
//            before the helper answers); the benchmark then reads the set and dies if it is not
//            exactly the new addresses.
//   script   the classic learn-address script (`/bin/sh script delete|add ADDR`, `nft` inside):
//            the same storm for SCRIPT_CLIENTS clients, scaled to CLIENTS (each event is a
//            process of its own and a plain set's cost does not grow with it, so the storm's
//            time is linear in the clients: at ~15 ms a pair a full 10 000-client script storm
//            would take minutes). The line says it is scaled.
//
//   reconnect_storm_bench [--tsv] [CLIENTS [SCRIPT_CLIENTS]]     (root)   defaults 10000, 100
//
// Addresses are 2001:db8:G:N::2 (G 0 before the storm, 1 after), in a throw-away namespace.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bench/tsv.h"
#include "bench/util.h"
#include "common/unique_fd.h"
#include "kernel/nft_sets.h"
#include "tests/support/plugin_host.h"

namespace vpnns::bench {
namespace {

using testing::PluginHost;

std::string address(int generation, int n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2001:db8:%x:%x::2", generation, n);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  set_program("reconnect_storm_bench");
  const char* prog = "reconnect_storm_bench";
  const Args args =
      parse_args(argc, argv, 2, "reconnect_storm_bench [--tsv] [CLIENTS [SCRIPT_CLIENTS]]");
  const int clients = count_arg(prog, args, 0, "CLIENTS", 10000);
  const int script_clients = std::min(count_arg(prog, args, 1, "SCRIPT_CLIENTS", 100), clients);
  if (clients > 0xffff) die("CLIENTS: at most 65535");
  if (::geteuid() != 0) die("run as root");
  UniqueFd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  const std::string ns = "vs" + std::to_string(::getpid());
  const std::string script = "/tmp/" + ns + "-learn-address.sh";
  remove_on_die(script);
  std::ofstream(script) << "#!/bin/sh\n"
                           "case \"$1\" in\n"
                           "  add|update) exec nft add element inet fw clients \"{ $2 }\" ;;\n"
                           "  delete) exec nft delete element inet fw clients \"{ $2 }\" ;;\n"
                           "esac\n";
  testing::keep_log() = false;
  if (run({"ip", "netns", "add", ns}) != 0) die("ip netns add");
  UniqueFd ns_fd(::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
  if (::setns(ns_fd.get(), CLONE_NEWNET) < 0) die("setns");
  if (run({"nft", "add table inet fw; add set inet fw clients { type ipv6_addr; }"}) != 0) {
    die("creating the set");
  }
  const SetRef set{"inet", "fw", "clients"};

  // --- vpnns
  double vpnns_ms = 0;
  {
    auto host = std::make_unique<PluginHost>(
        VPNNS_BENCH_PLUGIN,
        std::vector<std::string>{std::string("helper=") + VPNNS_BENCH_HELPER,
                                 "client-set=" + set.str(), "client-pool=2001:db8::/32",
                                 "client-max=" + std::to_string(clients)},
        std::vector<std::string>{"verb=1", "config=/etc/openvpn/server/storm.conf"});
    std::vector<void*> ctx(static_cast<std::size_t>(clients));
    auto join = [&](int i, int generation) {
      void*& c = ctx[static_cast<std::size_t>(i)];
      c = host->new_client();
      const std::string cn = "common_name=c" + std::to_string(i);
      if (host->call(OPENVPN_PLUGIN_CLIENT_CONNECT_V2, {}, {cn}, c) != 0) die("CLIENT_CONNECT");
      if (host->call(OPENVPN_PLUGIN_LEARN_ADDRESS, {"add", address(generation, i), cn.substr(12)},
                     {}, c) != 0) {
        die("LEARN_ADDRESS add");
      }
    };
    for (int i = 0; i < clients; ++i) join(i, 0);
    const auto t0 = Clock::now();
    for (int i = 0; i < clients; ++i) {
      void* c = ctx[static_cast<std::size_t>(i)];
      const std::string cn = "common_name=c" + std::to_string(i);
      if (host->call(OPENVPN_PLUGIN_CLIENT_DISCONNECT, {}, {cn}, c) != 0) die("DISCONNECT");
      if (host->call(OPENVPN_PLUGIN_LEARN_ADDRESS, {"delete", address(0, i)}, {}) != 0) {
        die("LEARN_ADDRESS delete");
      }
      host->free_client(c);
    }
    for (int i = 0; i < clients; ++i) join(i, 1);
    vpnns_ms = ms_since(t0);
    // Exact: the new addresses, nothing else.
    auto sock = NetlinkSocket::open(NETLINK_NETFILTER);
    if (!sock) die(sock.error().text());
    auto members = nft_read_members(*sock, set, false);
    if (!members || !*members) die("reading the set");
    std::set<std::string> got;
    for (const SetMember& m : **members) got.insert(m.prefix.addr.str());
    std::set<std::string> want;
    for (int i = 0; i < clients; ++i) want.insert(IpAddr::parse(address(1, i))->str());
    if (got != want) die("the set is not exact after the storm");
    for (void* c : ctx) host->free_client(c);
    host.reset();  // close: the instance's members leave
  }

  // --- the script, on SCRIPT_CLIENTS clients
  for (int i = 0; i < script_clients; ++i) must({"/bin/sh", script, "add", address(0, i)});
  const auto t0 = Clock::now();
  for (int i = 0; i < script_clients; ++i) must({"/bin/sh", script, "delete", address(0, i)});
  for (int i = 0; i < script_clients; ++i) must({"/bin/sh", script, "add", address(1, i)});
  const double script_ms = ms_since(t0) * clients / script_clients;

  (void)::setns(home.get(), CLONE_NEWNET);
  run({"ip", "netns", "del", ns});
  ::unlink(script.c_str());
  const double s_vpnns = vpnns_ms / 1000, s_script = script_ms / 1000;
  char what[96];
  std::snprintf(what, sizeof what, "reconnect storm, %d clients: until the set is exact", clients);
  if (args.tsv) {
    char base[96];
    std::snprintf(base, sizeof base, "script: sh + nft (%d clients, scaled)", script_clients);
    tsv_line(what, base, s_script, s_vpnns, "s");
    return 0;
  }
  std::printf(
      "%s: vpnns %.2f s (%.3f ms a client), script %.2f s (measured on %d clients and\n"
      "scaled: %.2f ms a client); ratio %.0fx\n",
      what, s_vpnns, vpnns_ms / clients, s_script, script_clients, script_ms / clients,
      s_script / s_vpnns);
  return 0;
}

}  // namespace vpnns::bench

int main(int argc, char** argv) { return vpnns::bench::main(argc, argv); }
