// SPDX-License-Identifier: GPL-2.0-or-later
// The protocol between `vpnnsctl exec` and vpnns-execd: one AF_UNIX SOCK_SEQPACKET connection
// per command, one message per datagram, descriptors passed with SCM_RIGHTS.
//
//   vpnnsctl                                               vpnns-execd
//   Request + fds (cwd, then the stdio of its mode)   →
//                                                     ←   Started (+ the pty master in a pty
//                                                         mode) or Refused, then
//   Signal*  (while the command runs)                 →
//                                                     ←   Stopped* (pty modes: the command
//                                                         stopped, e.g. Ctrl-Z)
//                                                     ←   Exit (the command's wait status)
//
// `vpnnsctl forward` uses the same connection for socket requests instead of a command
// (socket_wire.h: ForwardRequest, then SocketOpen*; ForwardReady, SocketOpened + the socket).
//
//   frame = magic "VPNX" | version u16 | type u16 | length u32 (whole frame) | attribute*
//   attr  = id u16 | length u16 | value[length]                      (integers big-endian)
//
// The frames are ipc/tlv.h's and the transport ipc/seqpacket.h's, shared with the plugin <->
// helper protocol (helper_ipc/); this file is the protocol's own part: its messages, schema
// and bounds. The decoder is as strict as helper_ipc/wire.h's, and pure (bytes in, typed message or
// Error out), so it is unit-tested and fuzzable without a socket: a frame is refused if it is
// truncated, longer than its length field or than kMaxExecFrame, of another version or an unknown
// type, carries an unknown, duplicated, over-long or over-counted attribute, a missing required
// one, or a value out of range. Arguments and environment entries may hold any byte but NUL (a
// shell script in `sh -c` has newlines); names and messages hold no control characters.
//
// Descriptors are part of a message: a Request carries exactly fd_count(mode), the other
// messages none but Started in a pty mode (one, the master). recv_exec_frame() takes at most
// kMaxExecFds; the decoder's caller checks the exact count. A message with the wrong count is
// refused and every descriptor that came with it is closed (UniqueFd) — also those the kernel
// had to drop because there was no room (MSG_CTRUNC: refused).
//
// Bounds (firm; vpnnsctl checks them first and says so): the whole request at most
// kMaxExecFrame bytes (well under the socket's default buffer, so one datagram always fits),
// at most kMaxExecArgs arguments and kMaxExecEnv environment entries, each at most
// kMaxExecString bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "exec_ipc/socket_wire.h"
#include "ipc/seqpacket.h"

namespace vpnns {

inline constexpr std::uint16_t kExecProtocolVersion = 1;
inline constexpr std::size_t kMaxExecFrame = 160 * 1024;
inline constexpr std::size_t kMaxExecArgs = 4096;
inline constexpr std::size_t kMaxExecEnv = 2048;
inline constexpr std::size_t kMaxExecString = 32 * 1024;
inline constexpr std::size_t kMaxExecFds = 4;
// Names travel unvalidated up to this length, so the service can say what is wrong with them.
inline constexpr std::size_t kMaxExecNameField = 255;
inline constexpr std::size_t kMaxExecMessage = 4096;

// How the command's stdio is connected.
enum class ExecMode : std::uint8_t {
  kPipe = 0,          // the caller's fds 0, 1, 2 (passed): no terminal of its own
  kPty = 1,           // a pty that vpnns-execd allocates: 0, 1 and 2 on its slave
  kPtyOwnStderr = 2,  // a pty for 0 and 1; 2 is the caller's (passed), e.g. redirected to a file
};

// Descriptors a Request of `mode` carries: the cwd, then kPipe: stdin, stdout, stderr;
// kPtyOwnStderr: stderr; kPty: nothing more.
std::size_t exec_fd_count(ExecMode mode);

struct ExecWinSize {
  std::uint16_t rows = 0, cols = 0, xpixel = 0, ypixel = 0;
  friend bool operator==(const ExecWinSize&, const ExecWinSize&) = default;
};

// The caller's terminal settings (glibc's struct termios), applied to the new pty before the
// command starts so that it sees the same erase and interrupt characters.
struct ExecTermModes {
  std::uint32_t iflag = 0, oflag = 0, cflag = 0, lflag = 0;
  std::uint8_t line = 0;
  std::array<std::uint8_t, 32> cc{};
  std::uint32_t ispeed = 0, ospeed = 0;
  friend bool operator==(const ExecTermModes&, const ExecTermModes&) = default;
};

struct ExecRequest {
  std::string netns;              // unvalidated here: the service checks it (netns_marker.h)
  std::vector<std::string> argv;  // argv[0] is the command, looked up in the caller's PATH
  std::vector<std::string> env;   // NAME=VALUE
  ExecMode mode = ExecMode::kPipe;
  std::uint16_t umask = 022;
  std::optional<ExecWinSize> winsize;  // present exactly in the pty modes
  std::optional<ExecTermModes> term;   // present exactly in the pty modes
  friend bool operator==(const ExecRequest&, const ExecRequest&) = default;
};

// A signal for the command (kill(2) on its pid). Only is_forwardable_signal() ones, and SIGCONT
// (killpg(2) on the command's process group), which vpnnsctl sends when it resumes after a
// Stopped.
struct ExecSignal {
  int signo = 0;
  friend bool operator==(const ExecSignal&, const ExecSignal&) = default;
};

struct ExecStarted {
  std::uint32_t pid = 0;  // informative
  friend bool operator==(const ExecStarted&, const ExecStarted&) = default;
};

// In a pty mode: the command (the pty session's leader) stopped with `signo` (SIGTSTP, SIGTTIN,
// SIGTTOU or SIGSTOP). vpnnsctl gives its terminal back and stops itself the same way, as the
// command would have stopped in its caller's job; resumed, it sends Signal SIGCONT.
struct ExecStopped {
  int signo = 0;
  friend bool operator==(const ExecStopped&, const ExecStopped&) = default;
};

struct ExecExit {
  bool signaled = false;  // false: exited with `value`; true: killed by signal `value`
  std::uint8_t value = 0;
  bool core_dumped = false;
  friend bool operator==(const ExecExit&, const ExecExit&) = default;
};

// Why the command did not start. `status` is what vpnnsctl exits with: 125 for a refusal or a
// failure of the service, 126 for a command that cannot be executed, 127 for one not found (the
// conventions of env(1), chroot(1) and the shells).
struct ExecRefused {
  Code code = Code::kInternal;
  std::string message;
  std::uint8_t status = 125;
  friend bool operator==(const ExecRefused&, const ExecRefused&) = default;
};

bool is_forwardable_signal(int signo);
bool is_stop_signal(int signo);  // SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU

// The refusal for a caller outside the group. vpnns-execd says it; vpnnsctl says the same when
// the socket's permissions stop it before the service can.
std::string exec_not_in_group_message(const std::string& user, const std::string& group);

// ForwardRequest .. SocketFailed: `vpnnsctl forward` (socket_wire.h).
using ExecClientMessage = std::variant<ExecRequest, ExecSignal, ForwardRequest, SocketOpen>;
using ExecServiceMessage = std::variant<ExecStarted, ExecStopped, ExecExit, ExecRefused,
                                        ForwardReady, SocketOpened, SocketFailed>;

std::vector<std::uint8_t> encode_exec(const ExecClientMessage& message);
std::vector<std::uint8_t> encode_exec(const ExecServiceMessage& message);
Result<ExecClientMessage> decode_exec_client(std::span<const std::uint8_t> frame);
Result<ExecServiceMessage> decode_exec_service(std::span<const std::uint8_t> frame);

// How many descriptors a decoded client message must come with. (Of the service's messages,
// only Started carries one, the pty master, when the request asked for a pty, and SocketOpened
// one, the socket.)
std::size_t expected_fds(const ExecClientMessage& message);

// --- Transport (ipc/seqpacket.h with this protocol's bounds).

// Sends one frame with `fds` (at most kMaxExecFds) attached; never raises SIGPIPE.
Status send_exec_frame(int sock, std::span<const std::uint8_t> frame, std::span<const int> fds);

// A frame and the descriptors that came with it (in the order sent, close-on-exec).
using ExecFrame = Datagram;

// Receives one frame and up to kMaxExecFds descriptors. timeout_ms < 0 waits forever. EOF is
// Code::kPeerClosed (is_peer_closed()); a frame over kMaxExecFrame, more descriptors than that,
// or ancillary data of another kind are Code::kInvalidArgument (and every descriptor received
// is closed).
Result<ExecFrame> recv_exec_frame(int sock, int timeout_ms);

// Checks that `frame` came with exactly `want` descriptors; refuses (and the caller's UniqueFds
// close them) otherwise.
Status check_fd_count(const ExecFrame& frame, std::size_t want, const char* what);

}  // namespace vpnns
