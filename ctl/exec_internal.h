// SPDX-License-Identifier: GPL-2.0-or-later
// What the files of `vpnnsctl exec` share: exec.cc parses the command line, picks the namespace
// and the path; exec_client.cc goes through vpnns-execd (everyone but root); exec_direct.cc
// starts the command itself (root). Both end the same way: vpnnsctl exits with the command's
// status, or dies of the command's signal (exit_like).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "exec_ipc/exec_wire.h"

namespace vpnns::ctl {

inline constexpr const char* kExecSocketEnv = "VPNNS_EXEC_SOCKET";
inline constexpr const char* kDefaultExecSocket = "/run/vpnns/exec.sock";
// vpnnsctl's own failures (a refusal, the service unreachable): as env(1) and chroot(1).
inline constexpr int kExitFailure = 125;

struct ExecArgs {
  std::string netns;
  std::vector<std::string> argv;
  std::string socket_path;
};

// Prints "vpnnsctl exec: MESSAGE" to stderr.
void exec_error(const std::string& message);
// exec_error(message), then kExitFailure: `return exec_failed(...)`.
int exec_failed(const std::string& message);

// Through vpnns-execd; returns vpnnsctl's exit status unless it re-raises the command's signal.
int exec_via_service(const ExecArgs& args);
// As root, without the service.
int exec_directly(const ExecArgs& args);

// Ends vpnnsctl the way the command ended: exit(code), or the same signal with its default
// action (no core file of vpnnsctl's own), so that vpnnsctl's caller sees death by that signal.
[[noreturn]] void exit_like(const ExecExit& exit);

// The signals vpnnsctl passes on to the command (is_forwardable_signal()), minus those ignored
// when vpnnsctl started (`nohup vpnnsctl exec ...` means the command is not to get SIGHUP,
// either).
std::vector<int> forwarded_signals();

// Blocks forwarded_signals() (and, with a terminal, SIGWINCH and SIGCONT) and returns a signalfd
// that reads them: from here on no signal meant for the command is lost.
[[nodiscard]] Result<UniqueFd> block_forwarded_signals(bool terminal);

}  // namespace vpnns::ctl
