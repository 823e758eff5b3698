// SPDX-License-Identifier: GPL-2.0-or-later
// The vpnnsctl <-> vpnns-execd protocol: every message round-trips, and the decoder refuses
// every malformed frame with a reason (truncated, oversized, trailing bytes, other version,
// unknown type or attribute, duplicates, over-counted, bad lengths, out-of-range values,
// attributes that must come together, characters), and messages sent the wrong way.
#include "exec_ipc/exec_wire.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace vpnns {
namespace {

ExecRequest pipe_request() {
  ExecRequest r;
  r.netns = "work";
  r.argv = {"sh", "-c", "echo 'multi\nline'\t$X", ""};  // newlines, tabs and empty words pass
  r.env = {"PATH=/usr/bin:/bin", "X=a=b", "BASH_FUNC_f%%=() { echo\n}"};
  r.mode = ExecMode::kPipe;
  r.umask = 027;
  return r;
}

ExecRequest pty_request() {
  ExecRequest r = pipe_request();
  r.mode = ExecMode::kPtyOwnStderr;
  r.winsize = ExecWinSize{50, 132, 800, 600};
  ExecTermModes t;
  t.iflag = 0x500;
  t.oflag = 0x5;
  t.cflag = 0xbf;
  t.lflag = 0x8a3b;
  t.line = 0;
  for (std::size_t i = 0; i < t.cc.size(); ++i) t.cc[i] = static_cast<std::uint8_t>(i * 7);
  t.ispeed = 15;
  t.ospeed = 15;
  r.term = t;
  return r;
}

// A frame with the given header fields and raw attributes (id, bytes).
std::vector<std::uint8_t> raw(std::uint16_t type,
                              const std::vector<std::pair<std::uint16_t, std::string>>& attrs,
                              std::uint16_t version = kExecProtocolVersion) {
  std::vector<std::uint8_t> f = {'V',
                                 'P',
                                 'N',
                                 'X',
                                 static_cast<std::uint8_t>(version >> 8),
                                 static_cast<std::uint8_t>(version),
                                 static_cast<std::uint8_t>(type >> 8),
                                 static_cast<std::uint8_t>(type),
                                 0,
                                 0,
                                 0,
                                 0};
  for (const auto& [id, v] : attrs) {
    f.push_back(static_cast<std::uint8_t>(id >> 8));
    f.push_back(static_cast<std::uint8_t>(id));
    f.push_back(static_cast<std::uint8_t>(v.size() >> 8));
    f.push_back(static_cast<std::uint8_t>(v.size()));
    f.insert(f.end(), v.begin(), v.end());
  }
  const auto n = static_cast<std::uint32_t>(f.size());
  f[8] = static_cast<std::uint8_t>(n >> 24);
  f[9] = static_cast<std::uint8_t>(n >> 16);
  f[10] = static_cast<std::uint8_t>(n >> 8);
  f[11] = static_cast<std::uint8_t>(n);
  return f;
}

std::string u8(std::uint8_t v) { return std::string(1, static_cast<char>(v)); }
std::string u16(std::uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v)}; }

// The attributes of a minimal valid pipe-mode request (ids from exec_wire.cc).
std::vector<std::pair<std::uint16_t, std::string>> minimal() {
  return {{1, "work"}, {2, "true"}, {4, u8(0)}, {5, u16(022)}};
}

TEST(ExecWire, ClientMessagesRoundTrip) {
  for (const ExecClientMessage& m :
       {ExecClientMessage(pipe_request()), ExecClientMessage(pty_request()),
        ExecClientMessage(ExecSignal{SIGINT}), ExecClientMessage(ExecSignal{SIGTERM}),
        ExecClientMessage(ExecSignal{SIGCONT})}) {
    auto back = decode_exec_client(encode_exec(m));
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(*back, m);
  }
  ExecRequest pty = pty_request();
  pty.mode = ExecMode::kPty;
  auto back = decode_exec_client(encode_exec(ExecClientMessage(pty)));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, ExecClientMessage(pty));
}

TEST(ExecWire, ServiceMessagesRoundTrip) {
  for (const ExecServiceMessage& m :
       {ExecServiceMessage(ExecStarted{4242}), ExecServiceMessage(ExecStopped{SIGTSTP}),
        ExecServiceMessage(ExecStopped{SIGTTIN}), ExecServiceMessage(ExecExit{false, 0, false}),
        ExecServiceMessage(ExecExit{false, 255, false}),
        ExecServiceMessage(ExecExit{true, SIGTERM, false}),
        ExecServiceMessage(ExecExit{true, SIGSEGV, true}),
        ExecServiceMessage(ExecRefused{Code::kPermissionDenied, "user x is not in group y", 125}),
        ExecServiceMessage(ExecRefused{Code::kNotFound, "", 127})}) {
    auto back = decode_exec_service(encode_exec(m));
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(*back, m);
  }
}

TEST(ExecWire, RefusalTextIsCleanedAndCut) {
  ExecRefused r{Code::kInternal, "a\nb" + std::string(kMaxExecMessage + 10, 'x'), 125};
  auto back = decode_exec_service(encode_exec(ExecServiceMessage(r)));
  ASSERT_TRUE(back.ok()) << back.error().message();
  const auto& got = std::get<ExecRefused>(*back);
  EXPECT_EQ(got.message.size(), kMaxExecMessage);
  EXPECT_EQ(got.message.substr(0, 3), "a?b");
}

TEST(ExecWire, FdCounts) {
  EXPECT_EQ(exec_fd_count(ExecMode::kPipe), 4u);
  EXPECT_EQ(exec_fd_count(ExecMode::kPty), 1u);
  EXPECT_EQ(exec_fd_count(ExecMode::kPtyOwnStderr), 2u);
  EXPECT_EQ(expected_fds(ExecClientMessage(pipe_request())), 4u);
  EXPECT_EQ(expected_fds(ExecClientMessage(ExecSignal{SIGINT})), 0u);
}

TEST(ExecWire, ForwardableSignals) {
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM}) {
    EXPECT_TRUE(is_forwardable_signal(sig)) << sig;
  }
  for (int sig : {0, SIGKILL, SIGSTOP, SIGCONT, SIGCHLD, SIGSEGV, SIGWINCH, 64, 200}) {
    EXPECT_FALSE(is_forwardable_signal(sig)) << sig;
  }
}

struct Bad {
  const char* name;
  std::vector<std::uint8_t> frame;
  const char* reason;
};

TEST(ExecWire, RefusesMalformedClientFrames) {
  auto valid = encode_exec(ExecClientMessage(pipe_request()));
  auto truncated = valid;
  truncated.resize(valid.size() - 1);
  auto trailing = valid;
  trailing.push_back(0);
  auto bad_magic = valid;
  bad_magic[3] = 'S';  // the plugin-helper protocol's magic
  auto with = [](std::vector<std::pair<std::uint16_t, std::string>> extra) {
    auto attrs = minimal();
    attrs.insert(attrs.end(), extra.begin(), extra.end());
    return attrs;
  };
  auto without = [](std::uint16_t id) {
    auto attrs = minimal();
    std::erase_if(attrs, [&](const auto& a) { return a.first == id; });
    return attrs;
  };
  auto replaced = [](std::uint16_t id, std::string value) {
    auto attrs = minimal();
    for (auto& a : attrs) {
      if (a.first == id) a.second = value;
    }
    return attrs;
  };
  std::vector<std::pair<std::uint16_t, std::string>> many_args = minimal();
  for (std::size_t i = 0; i < kMaxExecArgs; ++i) many_args.push_back({2, "x"});
  std::vector<std::pair<std::uint16_t, std::string>> huge = minimal();
  for (int i = 0; i < 6; ++i) huge.push_back({2, std::string(kMaxExecString, 'a')});
  const std::string term(60, '\0');
  std::string bad_pad = term;
  bad_pad[18] = 1;
  const std::string winsize(8, '\0');

  const std::vector<Bad> cases = {
      {"empty", {}, "truncated header"},
      {"short header", {'V', 'P', 'N', 'X', 0, 1}, "truncated header"},
      {"bad magic", bad_magic, "bad magic"},
      {"other version", raw(1, minimal(), 2), "protocol version 2"},
      {"unknown type", raw(99, minimal()), "unknown message type 99"},
      {"truncated", truncated, "length field says"},
      {"trailing byte", trailing, "length field says"},
      {"unknown attribute", raw(1, with({{42, "x"}})), "unexpected attribute 42"},
      {"service attribute in a request", raw(1, with({{9, "1234"}})), "unexpected attribute 9"},
      {"duplicate name", raw(1, with({{1, "other"}})), "duplicate namespace name"},
      {"duplicate mode", raw(1, with({{4, u8(0)}})), "duplicate mode"},
      {"missing name", raw(1, without(1)), "missing namespace name"},
      {"missing command", raw(1, without(2)), "missing argument"},
      {"missing mode", raw(1, without(4)), "missing mode"},
      {"missing umask", raw(1, without(5)), "missing umask"},
      {"too many arguments", raw(1, many_args), "too many arguments (at most 4096)"},
      {"too large", raw(1, huge), "too large"},
      {"argument too long", raw(1, with({{2, std::string(kMaxExecString + 1, 'a')}})),
       "argument has length"},
      {"name too long", raw(1, replaced(1, std::string(kMaxExecNameField + 1, 'a'))),
       "namespace name has length"},
      {"control character in the name", raw(1, replaced(1, "wo\nrk")), "control character"},
      {"empty command", raw(1, replaced(2, "")), "the command (first argument) is empty"},
      {"NUL in an argument", raw(1, with({{2, std::string("a\0b", 3)}})), "NUL byte"},
      {"NUL in the environment", raw(1, with({{3, std::string("A=\0", 3)}})), "NUL byte"},
      {"environment without =", raw(1, with({{3, "NAME"}})), "not NAME=VALUE"},
      {"environment with an empty name", raw(1, with({{3, "=value"}})), "not NAME=VALUE"},
      {"mode out of range", raw(1, replaced(4, u8(3))), "mode 3"},
      {"umask out of range", raw(1, replaced(5, u16(01000))), "umask 512"},
      {"umask of one byte", raw(1, replaced(5, u8(0))), "umask has length 1"},
      {"pty without window size", raw(1, replaced(4, u8(1))), "needs the window size"},
      {"window size without a pty", raw(1, with({{6, winsize}, {7, term}})),
       "window size or terminal modes without a pty"},
      {"short window size", raw(1, with({{6, "1234"}})), "window size has length 4"},
      {"terminal modes padding",
       raw(1,
           [&] {
             auto a = replaced(4, u8(1));
             a.push_back({6, winsize});
             a.push_back({7, bad_pad});
             return a;
           }()),
       "terminal modes padding"},
      {"signal not forwarded", raw(2, {{8, u8(SIGKILL)}}), "not one vpnnsctl forwards"},
      {"signal zero", raw(2, {{8, u8(0)}}), "not one vpnnsctl forwards"},
      {"SIGSTOP", raw(2, {{8, u8(SIGSTOP)}}), "not one vpnnsctl forwards"},
      {"signal missing", raw(2, {}), "missing signal"},
      {"a service message", encode_exec(ExecServiceMessage(ExecStarted{1})),
       "does not come from vpnnsctl"},
  };
  for (const Bad& c : cases) {
    auto r = decode_exec_client(c.frame);
    ASSERT_FALSE(r.ok()) << c.name << " was accepted";
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << c.name;
    EXPECT_NE(r.error().message().find(c.reason), std::string::npos)
        << c.name << ": " << r.error().message();
  }
}

TEST(ExecWire, RefusesMalformedServiceFrames) {
  const std::vector<Bad> cases = {
      {"exit kind out of range", raw(17, {{10, u8(3)}, {11, u8(0)}}), "exit kind 3"},
      {"signal zero", raw(17, {{10, u8(1)}, {11, u8(0)}}), "signal 0"},
      {"signal out of range", raw(17, {{10, u8(2)}, {11, u8(200)}}), "signal 200"},
      {"refusal code ok", raw(18, {{12, u8(0)}, {13, "x"}, {14, u8(125)}}), "refusal code 0"},
      {"refusal code unknown", raw(18, {{12, u8(8)}, {13, "x"}, {14, u8(125)}}), "refusal code 8"},
      {"refusal status", raw(18, {{12, u8(1)}, {13, "x"}, {14, u8(1)}}), "exit status 1"},
      {"refusal control character", raw(18, {{12, u8(1)}, {13, "a\x1b[2J"}, {14, u8(125)}}),
       "control character"},
      {"refusal without message", raw(18, {{12, u8(1)}, {14, u8(125)}}), "missing message"},
      {"short pid", raw(16, {{9, "12"}}), "pid has length 2"},
      {"stopped by a signal that does not stop", raw(19, {{8, u8(SIGTERM)}}), "stop signal 15"},
      {"stopped without signal", raw(19, {}), "missing signal"},
      {"a client message", encode_exec(ExecClientMessage(ExecSignal{SIGINT})),
       "does not come from vpnns-execd"},
  };
  for (const Bad& c : cases) {
    auto r = decode_exec_service(c.frame);
    ASSERT_FALSE(r.ok()) << c.name << " was accepted";
    EXPECT_NE(r.error().message().find(c.reason), std::string::npos)
        << c.name << ": " << r.error().message();
  }
}

TEST(ExecWire, NotInGroupMessage) {
  EXPECT_EQ(exec_not_in_group_message("alice", "vpnns"),
            "user alice is not in group vpnns; ask an administrator to add you");
}

}  // namespace
}  // namespace vpnns
