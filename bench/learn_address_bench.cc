// SPDX-License-Identifier: GPL-2.0-or-later
// LEARN_ADDRESS on a server: a client's address into the client set, and out again.
//
//   vpnns    the full plugin path: vpnns.so loaded like openvpn loads it, a client made with
//            openvpn_plugin_client_constructor_v1 and connected with CLIENT_CONNECT_V2, then
//            LEARN_ADDRESS add / delete through openvpn_plugin_func_v3 with the argv openvpn
//            builds; the helper sends one nftables batch per event.
//   script   the classic learn-address script: openvpn runs `/bin/sh script add ADDR CN`, and the
//            script runs `nft add element` (`nft delete element` for delete).
//   kernel   the same batch the helper sends, from this process: the kernel's own cost.
//
// For both kinds of set vpnns keeps — plain (a hash: VPN addresses) and `flags interval` (an
// rbtree: addresses and iroute subnets) — with 1 000 and with 100 000 other members (filled
// beforehand from this process; each set on a "server" of its own: a namespace, a plugin instance,
// a helper), to show how the cost of an event depends on the number of clients. The three light
// cases are measured in the same runs; the interval set with 100 000 members on its own, as its
// kernel work would land in the others' tails. The sets are `type ipv6_addr`, in a throw-away
// namespace, so 100 000 members fit the documentation prefix 2001:db8::/32. Milliseconds, p50 and
// p99. With --tsv, the p50s as lines for bench/run (bench/tsv.h) instead of the table.
//
//   learn_address_bench [--tsv] [VPNNS_RUNS [SCRIPT_RUNS [BIG_INTERVAL_RUNS]]]     (root)
//
// VPNNS_RUNS (default 1000) events of each kind for vpnns and the kernel, SCRIPT_RUNS (default
// 30) for the script; BIG_INTERVAL_RUNS (default VPNNS_RUNS) instead of VPNNS_RUNS for the
// interval set with 100 000 members, where every event costs ~15 ms of kernel time twice over.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "bench/tsv.h"
#include "bench/util.h"
#include "common/unique_fd.h"
#include "kernel/nft.h"
#include "kernel/nft_sets.h"
#include "tests/support/plugin_host.h"

namespace vpnns::bench {
namespace {

using testing::PluginHost;
struct Stats {
  double p50, p99;
};

Stats stats(std::vector<double> v) { return {quantile(v, 0.5), quantile(v, 0.99)}; }

// 2001:db8:X:Y::1, distinct for every n below 2^32.
std::string member(std::uint32_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2001:db8:%x:%x::1", n >> 16, n & 0xffff);
  return buf;
}

// Fills `set` up to `total` members (those below `have` are already there).
void fill(NetlinkSocket& sock, const SetRef& set, bool interval, std::uint32_t have,
          std::uint32_t total) {
  for (std::uint32_t n = have; n < total;) {
    NftBatch batch(sock.next_seq());
    for (int m = 0; m < 8 && n < total; ++m) {
      std::vector<Prefix> chunk;
      for (std::size_t i = 0; i < kMaxPrefixesPerMessage && n < total; ++i, ++n) {
        chunk.push_back(Prefix{*IpAddr::parse(member(n)), 128});
      }
      build_set_prefixes(batch, set, interval, true, chunk);
    }
    if (Status s = nft_commit(sock, batch); !s) die("filling the set: " + s.error().text());
  }
}

struct Row {
  std::string set;
  std::uint32_t members;
  Stats vpnns_add, vpnns_del, script_add, script_del, kernel_add, kernel_del;
};

}  // namespace

int main(int argc, char** argv) {
  set_program("learn_address_bench");
  const char* prog = "learn_address_bench";
  const Args args = parse_args(
      argc, argv, 3, "learn_address_bench [--tsv] [VPNNS_RUNS [SCRIPT_RUNS [BIG_INTERVAL_RUNS]]]");
  const int vpnns_runs = count_arg(prog, args, 0, "VPNNS_RUNS", 1000);
  const int script_runs = count_arg(prog, args, 1, "SCRIPT_RUNS", 30);
  const int big_runs = count_arg(prog, args, 2, "BIG_INTERVAL_RUNS", vpnns_runs);
  if (::geteuid() != 0) die("run as root");
  UniqueFd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  // The classic learn-address script.
  const std::string script = "/tmp/vl" + std::to_string(::getpid()) + "-learn-address.sh";
  remove_on_die(script);

  std::ofstream(script) << "#!/bin/sh\n"
                           "# learn-address OP ADDR [CN]\n"
                           "case \"$1\" in\n"
                           "  add|update) exec nft add element inet fw clients \"{ $2 }\" ;;\n"
                           "  delete) exec nft delete element inet fw clients \"{ $2 }\" ;;\n"
                           "esac\n";
  testing::keep_log() = false;

  // One server per kind of set and size, each in a namespace of its own (the `nft` the script
  // runs reads the whole ruleset, which must hold only that server's set), each with its own
  // plugin instance and helper. Its set is filled after the plugin started (it empties it).
  struct Subject {
    std::string ns;
    bool interval = false;
    std::uint32_t members = 0;
    UniqueFd ns_fd;
    std::unique_ptr<PluginHost> host;
    std::optional<NetlinkSocket> sock;  // for the kernel's own cost
    void* client = nullptr;
    std::vector<double> va, vd, sa, sd, ka, kd;
  };
  std::vector<Subject> subjects;
  const SetRef set{"inet", "fw", "clients"};
  int index = 0;
  for (const auto& [interval, members] : {std::pair<bool, std::uint32_t>{false, 1000},
                                          {false, 100000},
                                          {true, 1000},
                                          {true, 100000}}) {
    Subject sub;
    sub.ns = "vl" + std::to_string(::getpid()) + "-" + std::to_string(index++);
    sub.interval = interval;
    sub.members = members;
    if (run({"ip", "netns", "add", sub.ns}) != 0) die("ip netns add");
    sub.ns_fd.reset(::open(("/run/netns/" + sub.ns).c_str(), O_RDONLY | O_CLOEXEC));
    if (::setns(sub.ns_fd.get(), CLONE_NEWNET) < 0) die("setns");
    const std::string kind = interval ? "type ipv6_addr; flags interval;" : "type ipv6_addr;";
    if (run({"nft", "add table inet fw; add set inet fw clients { " + kind + " }"}) != 0) {
      die("creating the set");
    }
    // A server's plugin (no `remote` in the open-time env); its helper starts in this namespace.
    sub.host = std::make_unique<PluginHost>(
        VPNNS_BENCH_PLUGIN,
        std::vector<std::string>{std::string("helper=") + VPNNS_BENCH_HELPER,
                                 "client-set=" + set.str(), "client-pool=2001:db8:ffff:1::/64",
                                 // its own instance: set members are known by it
                                 "instance=" + sub.ns},
        std::vector<std::string>{"verb=1", "config=/etc/openvpn/server/bench.conf"});
    sub.client = sub.host->new_client();
    if (sub.host->call(OPENVPN_PLUGIN_CLIENT_CONNECT_V2, {}, {"common_name=bench"}, sub.client) !=
        0) {
      die("CLIENT_CONNECT failed");
    }
    auto sock = NetlinkSocket::open(NETLINK_NETFILTER);
    if (!sock) die(sock.error().text());
    sub.sock.emplace(std::move(*sock));
    fill(*sub.sock, set, interval, 0, members);
    subjects.push_back(std::move(sub));
  }
  (void)::setns(home.get(), CLONE_NEWNET);

  const std::string addr = "2001:db8:ffff:1::";  // outside the filled range
  auto measure = [&](Subject& sub, int i) {
    const std::string a = addr + std::to_string(i % 100 + 1);
    auto t0 = Clock::now();
    if (sub.host->call(OPENVPN_PLUGIN_LEARN_ADDRESS, {"add", a, "bench"}, {}, sub.client) != 0) {
      die("vpnns LEARN_ADDRESS add failed");
    }
    sub.va.push_back(ms_since(t0));
    t0 = Clock::now();
    if (sub.host->call(OPENVPN_PLUGIN_LEARN_ADDRESS, {"delete", a}, {}) != 0) {
      die("vpnns LEARN_ADDRESS delete failed");
    }
    sub.vd.push_back(ms_since(t0));
    for (bool add : {true, false}) {
      t0 = Clock::now();
      NftBatch b(sub.sock->next_seq());
      build_set_prefix(b, set, sub.interval, add, Prefix{*IpAddr::parse(a), 128});
      if (Status s = nft_commit(*sub.sock, b); !s) die(s.error().text());
      (add ? sub.ka : sub.kd).push_back(ms_since(t0));
    }
  };
  // The light cases in the same runs, so they share the machine's state; the interval set with
  // 100 000 members (14 ms of kernel work per change, and deferred clean-up after) on its own, so
  // it does not land in their tails.
  for (int i = 0; i < vpnns_runs; ++i) {
    for (std::size_t s = 0; s < 3; ++s) measure(subjects[s], i);
  }
  for (int i = 0; i < big_runs; ++i) measure(subjects[3], i);
  for (Subject& sub : subjects) {
    if (::setns(sub.ns_fd.get(), CLONE_NEWNET) < 0) die("setns");
    for (int i = 0; i < script_runs; ++i) {
      const std::string a = addr + std::to_string(i % 100 + 1);
      auto t0 = Clock::now();
      if (run({"/bin/sh", script, "add", a, "bench"}) != 0) die("script add failed");
      sub.sa.push_back(ms_since(t0));
      t0 = Clock::now();
      if (run({"/bin/sh", script, "delete", a}) != 0) die("script delete failed");
      sub.sd.push_back(ms_since(t0));
    }
  }
  (void)::setns(home.get(), CLONE_NEWNET);
  std::vector<Row> rows;
  for (Subject& sub : subjects) {
    sub.host->free_client(sub.client);
    sub.host.reset();
    sub.sock.reset();
    run({"ip", "netns", "del", sub.ns});
    rows.push_back({sub.interval ? "interval" : "plain", sub.members, stats(sub.va), stats(sub.vd),
                    stats(sub.sa), stats(sub.sd), stats(sub.ka), stats(sub.kd)});
  }
  ::unlink(script.c_str());

  if (args.tsv) {
    for (const Row& r : rows) {
      auto lines = [&](const char* op, Stats k, Stats sc, Stats v) {
        char what[96];
        std::snprintf(what, sizeof what, "learn-address %s, %s set, %u members", op, r.set.c_str(),
                      r.members);
        tsv_line(what, "script: sh + nft", sc.p50, v.p50, "ms");
        tsv_line(what, "kernel: the same batch, one process", k.p50, v.p50, "ms");
      };
      lines("add", r.kernel_add, r.script_add, r.vpnns_add);
      lines("delete", r.kernel_del, r.script_del, r.vpnns_del);
    }
    return 0;
  }
  std::printf(
      "LEARN_ADDRESS add and delete of one client address, in a plain set (hash: VPN addresses)\n"
      "and in an interval set (rbtree: addresses and iroute subnets), with 1 000 and 100 000\n"
      "other members, each set on a server (namespace, plugin, helper) of its own. vpnns: %d\n"
      "runs (%d for the interval set with 100 000 members), script: %d runs per line;\n"
      "milliseconds; ratio = script p50 / vpnns p50.\n\n",
      vpnns_runs, big_runs, script_runs);
  std::printf("  %-8s %-8s %-7s %19s %21s %19s %8s\n", "set", "members", "op", "kernel p50 / p99",
              "script p50 / p99", "vpnns p50 / p99", "ratio");
  for (const Row& r : rows) {
    auto line = [&](const char* op, Stats k, Stats sc, Stats v) {
      std::printf("  %-8s %-8u %-7s %8.3f / %8.3f %9.2f / %9.2f %8.3f / %8.3f %7.0fx\n",
                  r.set.c_str(), r.members, op, k.p50, k.p99, sc.p50, sc.p99, v.p50, v.p99,
                  sc.p50 / v.p50);
    };
    line("add", r.kernel_add, r.script_add, r.vpnns_add);
    line("delete", r.kernel_del, r.script_del, r.vpnns_del);
  }
  auto growth = [&](std::size_t small, std::size_t big) {
    std::printf(
        "  %-8s 100 000 vs 1 000 members: vpnns add %.2fx, delete %.2fx; kernel add %.2fx\n",
        rows[small].set.c_str(), rows[big].vpnns_add.p50 / rows[small].vpnns_add.p50,
        rows[big].vpnns_del.p50 / rows[small].vpnns_del.p50,
        rows[big].kernel_add.p50 / rows[small].kernel_add.p50);
  };
  std::printf("\n");
  growth(0, 1);
  growth(2, 3);
  std::printf(
      "\n  A plain set's cost does not depend on its size; an interval set's does, in the kernel\n"
      "  itself (the kernel column), whoever sends the change.\n");
  return 0;
}

}  // namespace vpnns::bench

int main(int argc, char** argv) { return vpnns::bench::main(argc, argv); }
