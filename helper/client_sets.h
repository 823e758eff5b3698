// ClientSets: on an OpenVPN server, the membership of the administrator's nftables sets follows
// who is connected.
//
// The administrator owns the firewall: their ruleset declares the sets (`type ipv4_addr` or
// `ipv6_addr`, `flags interval`, so iroute subnets fit) and the rules that use them. vpnns only
// keeps the members exact:
//
//   CLIENT_CONNECT   the client (by its per-client number) and its sets: every client-set= set
//                    plus the sets of every client-classes line its common name matches.
//   LEARN_ADDRESS    add/update: the address or iroute subnet now belongs to that client — it
//                    leaves the previous owner's sets and enters the new owner's, in one
//                    transaction. delete: it leaves its owner's sets.
//   CLIENT_DISCONNECT   everything the client had leaves its sets, in one transaction.
//   start-up, EOF, close   the configured sets are emptied: they belong to vpnns by
//                    configuration, so a crash never leaves members behind.
//
// Each event is one nftables batch over a long-lived socket, built from the helper's own record
// of who has what; the sets are never read back on the event path, so the cost of an event does
// not grow with the number of clients. An address goes into the sets of its own family; a
// prefix is the interval [network, broadcast + 1).
//
// Validation: addresses unicast, prefixes no shorter than /8 (IPv4) or /16 (IPv6) and without
// host bits, at most client-max-entries per client, a known client for add/update, and the
// common name it connected with. Sets live in the tunnel's namespace: openvpn's own, or netns=.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/messages.h"
#include "helper/classes.h"
#include "helper/netlink.h"
#include "helper/nft.h"

namespace vpnns {

// NFPROTO_* of an nftables family name (ip, ip6, inet).
std::uint16_t nfproto_of(const std::string& family);

// Adds (or removes) `prefix` to (from) the interval set `set` as the pair of elements
// [network, broadcast + 1).
void build_set_prefix(NftBatch& batch, const SetRef& set, bool add, const Prefix& prefix);
// Removes every element of `set`.
void build_set_flush(NftBatch& batch, const SetRef& set);

class ClientSets {
 public:
  // Loads the classes file, checks every configured set (exists, address type, interval) in
  // the namespace `netns_fd` (-1: the helper's own), and empties them.
  static Result<ClientSets> open(const Config& config, int netns_fd);

  Result<std::string> connect(const ClientConnectRequest& req);
  Result<std::string> disconnect(const ClientDisconnectRequest& req);
  Result<std::string> learn(const LearnAddressRequest& req);
  // Empties every configured set (EOF, close).
  Status flush_all();

  [[nodiscard]] std::size_t clients() const { return clients_.size(); }
  [[nodiscard]] std::size_t entries() const { return owner_.size(); }

 private:
  struct Client {
    std::string common_name;
    std::vector<SetRef> sets;
    std::set<Prefix> entries;
  };

  ClientSets(NetlinkSocket sock, const Config& config, std::vector<ClassRule> rules,
             std::map<SetRef, Family> families)
      : sock_(std::move(sock)),
        config_(config),
        rules_(std::move(rules)),
        families_(std::move(families)) {}

  // Adds to `batch` the element changes for `prefix` in every set of `client` of its family.
  void change(NftBatch& batch, const Client& client, bool add, const Prefix& prefix) const;
  Status commit(NftBatch& batch);

  NetlinkSocket sock_;
  Config config_;
  std::vector<ClassRule> rules_;
  std::map<SetRef, Family> families_;  // every configured set and the family of its members
  std::map<std::uint64_t, Client> clients_;
  std::map<Prefix, std::uint64_t> owner_;
};

}  // namespace vpnns
