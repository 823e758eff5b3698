// SPDX-License-Identifier: GPL-2.0-or-later
// IPCHANGE: moving the seal to the server's new address. vpnns against what a script does.
//
//   vpnns        the full plugin path: vpnns.so loaded like openvpn loads it, IPCHANGE through
//                openvpn_plugin_func_v3 with the argv openvpn builds, the helper (which reads
//                the table back to check it is intact, then swaps the address), the kernel.
//   nft command  what an ipchange script does: one `nft` process that deletes the old element
//                and adds the new one in one transaction.
//   kernel       the same libnftnl batch (delete old, add new) sent from this process over a
//                socket opened beforehand: the kernel's own cost.
//
// Each variant alternates the server between two addresses in a table of its own, in a
// throw-away namespace; variants run in blocks whose order is shuffled round by round.
// Milliseconds, median and p90. With --tsv, the medians as lines for bench/run (bench/tsv.h)
// instead of the table.
//
//   seal_ipchange_bench [--tsv] [RUNS]     (root; RUNS default 200)
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench/tsv.h"
#include "bench/util.h"
#include "common/unique_fd.h"
#include "kernel/nft.h"
#include "kernel/nft_build.h"
#include "kernel/owned_tables.h"
#include "tests/support/plugin_host.h"

namespace vpnns::bench {
using testing::PluginHost;
namespace {

struct Stats {
  double median, p90;
};

Stats stats(std::vector<double> v) { return {quantile(v, 0.5), quantile(v, 0.9)}; }

// The message vpnns sends for one server address (helper/seal_nft.cc's server element).
constexpr std::uint32_t kServer4Id = 2;
void server_element(NftBatch& b, bool add, const char* table, const IpAddr& a) {
  nft_set_element(b, add, table, kSealServer4, kServer4Id, a.bytes().data(),
                  static_cast<std::uint32_t>(a.bytes().size()), "address " + a.str());
}

}  // namespace

int main(int argc, char** argv) {
  set_program("seal_ipchange_bench");
  const Args args = parse_args(argc, argv, 1, "seal_ipchange_bench [--tsv] [RUNS]");
  const int runs = count_arg("seal_ipchange_bench", args, 0, "RUNS", 200);
  if (::geteuid() != 0) die("run as root");
  const std::string ns = "vs" + std::to_string(::getpid());
  if (run({"ip", "netns", "add", ns}) != 0) die("ip netns add");
  UniqueFd ns_fd(::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
  if (::setns(ns_fd.get(), CLONE_NEWNET) < 0) die("setns");

  const IpAddr addr[2] = {*IpAddr::parse("198.51.100.1"), *IpAddr::parse("198.51.100.3")};
  auto sock = NetlinkSocket::open(NETLINK_NETFILTER);
  if (!sock) die(sock.error().text());
  // Tables for the two baselines: the seal's server set, built with the same vocabulary as
  // vpnns's own (the rules do not take part in an element swap).
  for (const char* t : {"vpnns-cli", "vpnns-raw"}) {
    NftBatch b(sock->next_seq());
    nft_table_replace(b, t, "benchmark");
    nft_set(b, t, kSealServer4, kServer4Id, kNftTypeIpv4, 4, kNftByteorderBig);
    server_element(b, true, t, addr[0]);
    if (Status s = nft_commit(*sock, b); !s) die(s.error().text());
  }

  std::vector<double> t_vpnns, t_cli, t_raw;
  {
    // Both addresses are the configuration's remotes: the seal moves only between those.
    PluginHost host(VPNNS_BENCH_PLUGIN,
                    {std::string("helper=") + VPNNS_BENCH_HELPER, "instance=bench"},
                    {"verb=1", "config=/etc/openvpn/client/test.conf", "remote_1=198.51.100.1",
                     "remote_2=198.51.100.3", "proto_1=udp", "proto_2=udp"});
    auto ipchange = [&](const IpAddr& a) {
      return host.call(OPENVPN_PLUGIN_IPCHANGE, {"[AF_INET]" + a.str() + " 1194"}, {"verb=1"});
    };
    if (ipchange(addr[0]) != 0) die("vpnns IPCHANGE failed");
    // Each variant alternates its own seal between the two addresses.
    std::vector<std::function<void(const IpAddr&, const IpAddr&)>> variants = {
        [&](const IpAddr&, const IpAddr& to) {
          auto t0 = Clock::now();
          if (ipchange(to) != 0) die("vpnns IPCHANGE failed");
          t_vpnns.push_back(ms_since(t0));
        },
        [&](const IpAddr& from, const IpAddr& to) {
          auto t0 = Clock::now();
          if (run({"nft", "delete element inet vpnns-cli server4 { " + from.str() +
                              " }; add element inet vpnns-cli server4 { " + to.str() + " }"}) !=
              0) {
            die("nft failed");
          }
          t_cli.push_back(ms_since(t0));
        },
        [&](const IpAddr& from, const IpAddr& to) {
          auto t0 = Clock::now();
          NftBatch b(sock->next_seq());
          server_element(b, false, "vpnns-raw", from);
          server_element(b, true, "vpnns-raw", to);
          if (Status s = nft_commit(*sock, b); !s) die(s.error().text());
          t_raw.push_back(ms_since(t0));
        }};
    // Blocks of consecutive calls, block order shuffled per round. Per-call interleaving would
    // put the aftermath of each `nft` process (its deferred kernel work, a cold cache, a CPU
    // migration) on nearly every sample of the fast variants; blocks still share any drift.
    constexpr int kRounds = 6;
    const int per_block = (runs + kRounds - 1) / kRounds;
    std::vector<std::size_t> order(variants.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 rng(42);
    std::vector<int> calls(variants.size(), 0);
    for (int round = 0; round < kRounds; ++round) {
      std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t j : order) {
        for (int i = 0; i < per_block; ++i, ++calls[j]) {
          variants[j](addr[calls[j] % 2], addr[(calls[j] + 1) % 2]);
        }
      }
    }
  }
  run({"ip", "netns", "del", ns});

  const Stats v = stats(t_vpnns), c = stats(t_cli), k = stats(t_raw);
  if (args.tsv) {
    const std::string what = "IPCHANGE: the seal to the new server address";
    tsv_line(what, "kernel: the same libnftnl batch, one process", k.median, v.median, "ms");
    tsv_line(what, "nft command (what an ipchange script runs)", c.median, v.median, "ms");
    return 0;
  }
  std::printf(
      "IPCHANGE: move the seal from one server address to the other (one transaction).\n"
      "%zu runs each, in shuffled blocks; milliseconds; ratio = baseline median / vpnns "
      "median.\n\n",
      t_vpnns.size());
  std::printf("  %-46s %8s %8s %9s\n", "", "median", "p90", "ratio");
  auto row = [&](const char* name, Stats s) {
    std::printf("  %-46s %8.3f %8.3f %8.2fx\n", name, s.median, s.p90, s.median / v.median);
  };
  row("kernel: the same libnftnl batch, one process", k);
  row("nft command (what an ipchange script runs)", c);
  row("vpnns: plugin -> helper (check + swap) -> kernel", v);
  std::printf(
      "\n  vpnns is %.0fx faster than the nft command. vpnns - kernel = %+.3f ms: the socket "
      "round\n"
      "  trip to the helper, and the helper reading the table back before it changes anything\n"
      "  (so that a damaged seal is repaired, not patched).\n",
      c.median / v.median, v.median - k.median);
  return 0;
}

}  // namespace vpnns::bench

int main(int argc, char** argv) { return vpnns::bench::main(argc, argv); }
