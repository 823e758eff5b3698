// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl: everyday use of vpnns.
//
//   vpnnsctl exec [-n NAME] [--] CMD ARGS...   run CMD in namespace NAME as yourself
//   vpnnsctl status [--json] [INSTANCE...]     what every vpnns instance is doing
//   vpnnsctl reset NAME [--netns]              remove what vpnns left behind for NAME (by hand)
//   vpnnsctl forward [-n NAME] SPEC...         relay services across the namespace wall
//
// (Not `vpnns`: that name belongs to an unrelated per-app VPN tool.) See vpnnsctl(1).
#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>

#include "ctl/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: vpnnsctl exec [-n NAME] [--] CMD ARGS...\n"
    "       vpnnsctl status [--json] [INSTANCE...]\n"
    "       vpnnsctl reset NAME [--netns]\n"
    "       vpnnsctl forward [-n NAME] [--udp] [HOST_ADDR:]HOST_PORT:NS_PORT...\n"
    "                        [--reverse NS_PORT:[HOST_ADDR:]HOST_PORT]...\n";

struct Subcommand {
  std::string_view name;
  int (*run)(std::span<char* const>);
};

constexpr Subcommand kSubcommands[] = {
    {"exec", vpnns::ctl::exec_command},
    {"status", vpnns::ctl::status_command},
    {"reset", vpnns::ctl::reset_command},
    {"forward", vpnns::ctl::forward_command},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return vpnns::ctl::kExitUsage;
  }
  const std::string_view name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  for (const Subcommand& s : kSubcommands) {
    if (s.name == name) {
      return s.run(std::span<char* const>(argv + 2, static_cast<std::size_t>(argc - 2)));
    }
  }
  std::fprintf(stderr, "vpnnsctl: unknown subcommand '%s'\n%s", argv[1], kUsage);
  return vpnns::ctl::kExitUsage;
}
