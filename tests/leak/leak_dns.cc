// SPDX-License-Identifier: GPL-2.0-or-later
// leak_dns: the smallest DNS server a kill-switch test needs, for tests/leak/killswitch_*.sh.
//
//   leak_dns ADDRESS NAME IPV4      (UDP port 53 on ADDRESS, until killed)
//
// It plays the LAN's resolver: openvpn's `remote` is a host name that only this server knows
// (no /etc/hosts entry anywhere), so a reconnect after openvpn dropped its privileges works only
// if openvpn's own lookup gets out while the kill switch is on. A query for NAME, type A, is
// answered with IPV4; NAME with any other type gets an empty NOERROR answer; any other name
// NXDOMAIN. Every query is printed to stdout, line-buffered, as "query NAME TYPE from ADDRESS",
// so the test counts what arrived here itself instead of trusting anyone's counters.
//
// It trusts nothing it receives: a datagram that is not a single well-formed question (header,
// labels within the datagram, QCLASS IN) is ignored; names are compared in lower case.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {

// The question's name as dotted lower-case text and where the question's type starts, or an
// empty name if the datagram is not one well-formed question.
struct Question {
  std::string name;
  std::size_t type_at = 0;
};

Question parse_question(const unsigned char* p, std::size_t n) {
  Question q;
  if (n < 12 || (p[2] & 0x80) != 0 || p[4] != 0 || p[5] != 1) return q;  // a query, QDCOUNT 1
  std::size_t i = 12;
  std::string name;
  while (i < n && p[i] != 0) {
    const std::size_t len = p[i];
    if (len > 63 || i + 1 + len >= n) return q;
    for (std::size_t k = 0; k < len; ++k) {
      name += static_cast<char>(std::tolower(p[i + 1 + k]));
    }
    name += '.';
    i += 1 + len;
  }
  if (i + 5 > n || name.empty()) return q;
  if (p[i + 3] != 0 || p[i + 4] != 1) return q;  // QCLASS IN
  q.name = name;
  q.type_at = i + 1;
  return q;
}

int run(const char* address, std::string name, const char* ipv4) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.empty() || name.back() != '.') name += '.';
  in_addr answer{};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(53);
  if (inet_pton(AF_INET, ipv4, &answer) != 1 || inet_pton(AF_INET, address, &addr.sin_addr) != 1) {
    std::fprintf(stderr, "leak_dns: ADDRESS and IPV4 must be IPv4 addresses\n");
    return 2;
  }
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("leak_dns: socket/bind");
    return 1;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("listening on %s:53, %s -> %s\n", address, name.c_str(), ipv4);
  unsigned char buf[512 + 16];
  for (;;) {
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    const ssize_t got = ::recvfrom(fd, buf, 512, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (got < 0) continue;
    const Question q = parse_question(buf, static_cast<std::size_t>(got));
    if (q.name.empty()) continue;
    const unsigned type = buf[q.type_at] << 8 | buf[q.type_at + 1];
    char from_text[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &from.sin_addr, from_text, sizeof from_text);
    std::printf("query %s %u from %s\n", q.name.c_str(), type, from_text);
    // The reply: the query's header and question, then at most one answer.
    std::size_t len = q.type_at + 4;
    const bool ours = q.name == name;
    const bool with_answer = ours && type == 1;
    buf[2] = 0x84 | (buf[2] & 0x01);  // QR, AA, the query's RD
    buf[3] = ours ? 0x00 : 0x03;      // NOERROR or NXDOMAIN
    buf[6] = 0;                       // ANCOUNT
    buf[7] = with_answer ? 1 : 0;
    buf[8] = buf[9] = buf[10] = buf[11] = 0;  // NSCOUNT, ARCOUNT
    if (with_answer) {
      const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0, 1,
                                  0,    0,    0, 5, 0, 4};  // name ptr, A, IN, TTL 5
      for (unsigned char b : rr) buf[len++] = b;
      const auto* a = reinterpret_cast<const unsigned char*>(&answer.s_addr);
      for (int k = 0; k < 4; ++k) buf[len++] = a[k];
    }
    ::sendto(fd, buf, len, 0, reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: leak_dns ADDRESS NAME IPV4\n");
    return 2;
  }
  return run(argv[1], argv[2], argv[3]);
}
