// SPDX-License-Identifier: GPL-2.0-or-later
// PeerEvidence: which addresses the seal may be aimed at — those of the hosts openvpn's own
// configuration connects to, resolved by the helper itself when it starts.
//
// Why. IPCHANGE tells the helper the VPN server's new address, and the seal then lets only
// openvpn's sockets reach it. A compromised openvpn could name any unicast address instead (the
// LAN's resolver, a jump host) and the seal would cut every other process off from it. So an
// address is sealed only with evidence, independent of openvpn's word, that openvpn talks to it.
//
// The evidence chosen, and why. openvpn's socket as the kernel sees it would be best, but the
// kernel knows a peer only for a connected socket, and openvpn's UDP client socket is not
// connected, in 2.6 and 2.7 alike (socket.c connects only TCP; it sends with sendto() so that
// the server may float): sock_diag shows it as talking to *:*, and so does `ss`. A conntrack
// entry exists only where the host tracks connections (nothing in openvpn's namespace needs it
// to), and a compromised openvpn can create one by sending a single packet. What openvpn may
// connect to is written in its configuration, which the plugin learned at open time, before any
// network input, from openvpn's own env (remote_N for every connection entry, and
// http_proxy_server_N / socks_proxy_server_N: through a proxy openvpn's socket talks to the
// proxy). The helper resolves those hosts itself (getaddrinfo, both families) at start-up, still
// before any network input and while it may still open sockets; IPCHANGE's address must be one
// of the results — for UDP and TCP, IPv4 and IPv6 alike. UP's fallback (trusted_ip, when no
// IPCHANGE came first) is held to the same rule.
//
// What it costs. A host name is resolved once per helper (that is, per openvpn start): if its
// addresses change while openvpn runs, or it could not be resolved at start-up (the network not
// up yet), an IPCHANGE to a new address is refused — a warning in openvpn's log naming the
// addresses the helper knows, and the seal stays where it was (before the first UP: UP fails, so
// openvpn stops instead of running unsealed). A `remote` changed through the management
// interface is unknown to the helper the same way. Restarting openvpn resolves again; IP
// literals in `remote` never go stale.
//
// check() is pure; resolve() is the only I/O.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/ip.h"

namespace vpnns {

class PeerEvidence {
 public:
  // One configured host and what it resolved to (or why it did not).
  struct Host {
    std::string name;
    std::vector<IpAddr> addrs;
    std::string error;  // non-empty: it could not be resolved
  };

  // Resolves every host now (IP literals without a lookup).
  static PeerEvidence resolve(const std::vector<std::string>& hosts);
  explicit PeerEvidence(std::vector<Host> hosts) : hosts_(std::move(hosts)) {}

  // OK if `addr` is an address of one of the hosts; otherwise a refusal that says what the
  // helper knows.
  [[nodiscard]] Status check(const IpAddr& addr) const;
  [[nodiscard]] const std::vector<Host>& hosts() const { return hosts_; }

 private:
  std::vector<Host> hosts_;
};

}  // namespace vpnns
