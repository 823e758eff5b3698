// SPDX-License-Identifier: GPL-2.0-or-later
// The SEQPACKET transport (ipc/seqpacket.h) on a socketpair: datagrams and descriptors arrive
// whole and in order; credentials, descriptors a protocol does not take, too many of them,
// oversized and empty datagrams are refused and every passed descriptor is closed; the peer's
// close is Code::kPeerClosed on receive and on send.
#include "ipc/seqpacket.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace vpnns {
namespace {

constexpr SeqpacketLimits kNoFds{64, 0, "test message"};
constexpr SeqpacketLimits kTwoFds{64, 2, "test message"};

struct Pair {
  UniqueFd a, b;
  Pair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    a.reset(sv[0]);
    b.reset(sv[1]);
  }
};

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

int open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n;
}

TEST(Seqpacket, DatagramsArriveWhole) {
  Pair p;
  ASSERT_TRUE(seqpacket_send(p.a.get(), bytes("one")).ok());
  ASSERT_TRUE(seqpacket_send(p.a.get(), bytes(std::string(64, 'x'))).ok());
  auto one = seqpacket_recv(p.b.get(), 1000, kNoFds);
  ASSERT_TRUE(one.ok()) << one.error().message();
  EXPECT_EQ(one->bytes, bytes("one"));
  EXPECT_TRUE(one->fds.empty());
  auto two = seqpacket_recv(p.b.get(), -1, kNoFds);
  ASSERT_TRUE(two.ok()) << two.error().message();
  EXPECT_EQ(two->bytes.size(), 64u);
}

TEST(Seqpacket, DescriptorsArriveInOrder) {
  Pair p;
  int first[2], second[2];
  ASSERT_EQ(::pipe2(first, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(second, O_CLOEXEC), 0);
  UniqueFd r1(first[0]), w1(first[1]), r2(second[0]), w2(second[1]);
  const int pass[] = {w1.get(), w2.get()};
  ASSERT_TRUE(seqpacket_send(p.a.get(), bytes("fds"), pass).ok());
  auto got = seqpacket_recv(p.b.get(), 1000, kTwoFds);
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_EQ(got->fds.size(), 2u);
  EXPECT_EQ(::write(got->fds[0].get(), "1", 1), 1);
  EXPECT_EQ(::write(got->fds[1].get(), "2", 1), 1);
  char c = 0;
  EXPECT_EQ(::read(r1.get(), &c, 1), 1);
  EXPECT_EQ(c, '1');
  EXPECT_EQ(::read(r2.get(), &c, 1), 1);
  EXPECT_EQ(c, '2');
  EXPECT_NE(::fcntl(got->fds[0].get(), F_GETFD) & FD_CLOEXEC, 0);
}

// Sends "x" with `n` copies of a descriptor and expects a refusal containing `reason`, with no
// descriptor left open.
void expect_refused_fds(const SeqpacketLimits& limits, std::size_t n, const std::string& reason) {
  Pair p;
  const int before = open_fds();
  {
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    const std::vector<int> pass(n, null.get());
    ASSERT_TRUE(seqpacket_send(p.a.get(), bytes("x"), pass).ok());
  }
  auto got = seqpacket_recv(p.b.get(), 1000, limits);
  ASSERT_FALSE(got.ok()) << n << " descriptors accepted";
  EXPECT_EQ(got.error().code(), Code::kInvalidArgument);
  EXPECT_NE(got.error().message().find("malformed test message: " + reason), std::string::npos)
      << got.error().message();
  EXPECT_EQ(open_fds(), before) << "a passed descriptor was left open";
}

TEST(Seqpacket, RefusesDescriptorsItDoesNotTake) {
  expect_refused_fds(kNoFds, 1, "unexpected ancillary data");
  expect_refused_fds(kTwoFds, 3, "more than 2 descriptors (all of them closed)");
  expect_refused_fds(kTwoFds, kMaxPassedFds, "more than 2 descriptors");
}

TEST(Seqpacket, RefusesCredentials) {
  Pair p;
  const int on = 1;
  ASSERT_EQ(::setsockopt(p.b.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
  ASSERT_TRUE(seqpacket_send(p.a.get(), bytes("x")).ok());
  auto got = seqpacket_recv(p.b.get(), 1000, kTwoFds);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message().find("unexpected ancillary data (other than descriptors)"),
            std::string::npos)
      << got.error().message();
}

TEST(Seqpacket, RefusesOversizedAndEmpty) {
  Pair p;
  ASSERT_TRUE(seqpacket_send(p.a.get(), bytes(std::string(65, 'x'))).ok());
  auto big = seqpacket_recv(p.b.get(), 1000, kNoFds);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message(), "malformed test message: too large: larger than 64 bytes");

  ASSERT_TRUE(seqpacket_send(p.a.get(), {}).ok());
  auto empty = seqpacket_recv(p.b.get(), 1000, kNoFds);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(empty.error().message(), "malformed test message: empty");
}

TEST(Seqpacket, PeerClosedIsTyped) {
  Pair p;
  ASSERT_TRUE(seqpacket_send(p.a.get(), bytes("last")).ok());
  p.a.reset();
  auto last = seqpacket_recv(p.b.get(), 1000, kNoFds);
  ASSERT_TRUE(last.ok());  // what was sent before the close still arrives
  auto eof = seqpacket_recv(p.b.get(), 1000, kNoFds);
  ASSERT_FALSE(eof.ok());
  EXPECT_EQ(eof.error().code(), Code::kPeerClosed);
  EXPECT_TRUE(is_peer_closed(eof.error()));
  EXPECT_EQ(eof.error().message(), "peer closed the connection");

  Status sent = seqpacket_send(p.b.get(), bytes("anyone?"));
  ASSERT_FALSE(sent.ok());
  EXPECT_TRUE(is_peer_closed(sent.error())) << sent.error().text();
}

TEST(Seqpacket, TimeoutIsNotAClose) {
  Pair p;
  auto r = seqpacket_recv(p.b.get(), 0, kNoFds);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kUnavailable);
  EXPECT_FALSE(is_peer_closed(r.error()));
}

TEST(Seqpacket, SendRefusesMoreDescriptorsThanAnyProtocolTakes) {
  Pair p;
  const std::vector<int> many(kMaxPassedFds + 1, 0);
  Status s = seqpacket_send(p.a.get(), bytes("x"), many);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), Code::kInternal);
}

}  // namespace
}  // namespace vpnns
