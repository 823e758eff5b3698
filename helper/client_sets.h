// ClientSets: on an OpenVPN server, the membership of the administrator's nftables sets follows
// who is connected.
//
// The administrator owns the firewall: their ruleset declares the sets (`type ipv4_addr` or
// `ipv6_addr`) and the rules that use them. vpnns only keeps the members exact. Two kinds of set
// serve two needs:
//
//   plain     `set clients { type ipv4_addr; }` — VPN addresses only; the kernel's hash set
//             changes in constant time however many clients there are.
//   interval  `set clients { type ipv4_addr; flags interval; }` — VPN addresses and iroute
//             subnets (a subnet is the range [network, broadcast + 1)); the kernel's interval
//             set (rbtree) costs more per change the more members it has (measured here: 0.1 ms
//             at 1 000 members, 17 ms at 100 000; bench/learn_address_bench).
//
// Each of a client's sets receives what it can hold: its family, and of a client's iroute
// subnets only the interval sets. So `client-set=` can be a plain set for everyone's VPN address
// while a class of branch offices also has an interval set for their LANs. A subnet none of the
// client's sets of that family can hold is refused, naming the sets (openvpn then does not route
// it: fail closed).
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
#include "helper/classes.h"
#include "helper/netlink.h"
#include "helper/nft.h"
#include "helper_ipc/messages.h"
#include "state/state.h"

namespace vpnns {

// NFPROTO_* of an nftables family name (ip, ip6, inet).
std::uint16_t nfproto_of(const std::string& family);

// Adds (or removes) `prefixes` to (from) `set` in one message (at most kMaxPrefixesPerMessage):
// in an interval set each as the pair of elements [network, broadcast + 1), in a plain set each
// as its address (only whole addresses, /32 or /128, belong there).
inline constexpr std::size_t kMaxPrefixesPerMessage = 600;
void build_set_prefixes(NftBatch& batch, const SetRef& set, bool interval, bool add,
                        const std::vector<Prefix>& prefixes);
inline void build_set_prefix(NftBatch& batch, const SetRef& set, bool interval, bool add,
                             const Prefix& prefix) {
  build_set_prefixes(batch, set, interval, add, {prefix});
}
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
  // Every configured set with its member count, as the state file reports it.
  [[nodiscard]] StateClientSets snapshot() const;

 private:
  struct Client {
    std::string common_name;
    std::vector<SetRef> sets;
    std::set<Prefix> entries;
  };

  struct SetKind {
    Family family;  // of its members
    bool interval;  // holds ranges (flags interval)
  };
  // Whether a set of kind `k` can hold `p`: its family, and a whole address unless an interval.
  static bool fits(const SetKind& k, const Prefix& p) {
    return p.family() == k.family && (k.interval || p.len == max_prefix_len(p.family()));
  }

  ClientSets(NetlinkSocket sock, const Config& config, std::vector<ClassRule> rules,
             std::map<SetRef, SetKind> kinds)
      : sock_(std::move(sock)),
        config_(config),
        rules_(std::move(rules)),
        kinds_(std::move(kinds)) {}

  // Adds to `batch` the element changes for `prefixes` in every set of `client`, one message
  // per set, each prefix in the sets of its family.
  void change(NftBatch& batch, const Client& client, bool add,
              const std::vector<Prefix>& prefixes) const;

  Status commit(NftBatch& batch);
  // Keeps members_ in step with a committed change() of the same arguments.
  void count(const Client& client, bool add, const std::vector<Prefix>& prefixes);

  NetlinkSocket sock_;
  Config config_;
  std::vector<ClassRule> rules_;
  std::map<SetRef, SetKind> kinds_;  // every configured set

  std::map<std::uint64_t, Client> clients_;
  std::map<Prefix, std::uint64_t> owner_;
  // Members per set, counted as they are committed: the state file must not cost a walk over
  // every client at every event.
  std::map<SetRef, std::uint64_t> members_;
};

}  // namespace vpnns
