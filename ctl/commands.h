// SPDX-License-Identifier: GPL-2.0-or-later
// The subcommands of vpnnsctl. Each takes the words after its name and returns the process's
// exit status; each prints its own errors ("vpnnsctl SUBCOMMAND: ...") to stderr.
#pragma once

#include <span>
#include <string_view>

namespace vpnns::ctl {

// vpnnsctl exec [-n NAME] [--] CMD ARGS...
int exec_command(std::span<char* const> args);
// vpnnsctl status [--json] [INSTANCE...]
int status_command(std::span<char* const> args);
// vpnnsctl reset NAME [--netns]
int reset_command(std::span<char* const> args);
// vpnnsctl forward [-n NAME] [OPTIONS] SPEC... [--reverse SPEC]...
int forward_command(std::span<char* const> args);

// Exit status for a usage error (as sysexits' EX_USAGE).
inline constexpr int kExitUsage = 64;

}  // namespace vpnns::ctl
