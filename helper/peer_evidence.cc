// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/peer_evidence.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace vpnns {
namespace {

std::optional<IpAddr> from_sockaddr(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, b.size());
    return IpAddr::v4(b);
  }
  if (sa->sa_family == AF_INET6) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, b.size());
    return IpAddr::v6(b);
  }
  return std::nullopt;
}

}  // namespace

PeerEvidence PeerEvidence::resolve(const std::vector<std::string>& hosts) {
  std::vector<Host> out;
  for (const std::string& name : hosts) {
    Host h{name, {}, {}};
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;  // one entry per address, not one per socket type
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &res);
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(res, ::freeaddrinfo);
    if (rc != 0) {
      h.error = ::gai_strerror(rc);
    } else {
      for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        const auto a = from_sockaddr(ai->ai_addr);
        if (a && std::ranges::find(h.addrs, *a) == h.addrs.end()) h.addrs.push_back(*a);
      }
    }
    out.push_back(std::move(h));
  }
  return PeerEvidence(std::move(out));
}

Status PeerEvidence::check(const IpAddr& addr) const {
  std::string known;
  for (const Host& h : hosts_) {
    if (std::ranges::find(h.addrs, addr) != h.addrs.end()) return ok_status();
    std::string what;
    if (!h.error.empty()) {
      what = "not resolved: " + h.error;
    } else {
      for (const IpAddr& a : h.addrs) what += (what.empty() ? "" : " ") + a.str();
    }
    known += (known.empty() ? "" : "; ") + h.name +
             (h.addrs.size() == 1 && h.name == what ? std::string() : " = " + what);
  }
  return Error(Code::kPermissionDenied,
               "the VPN server address " + addr.str() +
                   " is not one that openvpn's configuration connects to (its remotes and "
                   "proxies as the helper resolved them at start: " +
                   (known.empty() ? std::string("none") : known) +
                   "); the seal is not moved there. If a server's name now resolves "
                   "differently, restart openvpn");
}

}  // namespace vpnns
