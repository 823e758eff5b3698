// SPDX-License-Identifier: GPL-2.0-or-later
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
//   UP               the server's own tunnel subnets (ifconfig_local/netmask,
//                    ifconfig_ipv6_local/netbits) join its client pools — only the first UP,
//                    while openvpn is still root and before any client exists; later ones
//                    change nothing.
//   start-up, EOF, close   this instance's members leave the sets: those the helper recorded,
//                    and at start-up those a SIGKILLed helper of the same instance left.
//
// Ownership (several instances, one firewall). Every element vpnns adds carries its instance as
// the element's comment, `vpnns:NAME` (kernel/nft_sets.h says why a comment). Start-up and
// shutdown read the sets and remove the elements tagged with this instance and nothing else:
// another instance's members and those the administrator added by hand stay. An element is added
// exclusively: if it is already there (another instance's, or by hand), the learn is refused
// with a message — unless client-set-shared=yes, where such a member is accepted for the client
// but stays its owner's (this instance neither counts nor removes it: `borrowed`).
//
// Bounds (client_sets_bounds.cc), all from trusted configuration: a client's VPN address only
// inside the pools (client-pool=, openvpn's server/server-ipv6 as the plugin read them at open,
// and the first UP's subnets) or client-iroutes=; an iroute subnet only inside client-iroutes=;
// at most client-max clients (openvpn's max-clients by default). A compromised openvpn can thus
// name only addresses of its own pools and the administrator's allowed iroutes.
//
// Each event is one nftables batch over a long-lived socket, built from the helper's own record
// of who has what; the sets are never read back on the event path, so the cost of an event does
// not grow with the number of clients. An address goes into the sets of its own family; a
// prefix is the interval [network, broadcast + 1).
//
// Validation (validate(), the one place each request is judged; mode.h): addresses unicast,
// prefixes no shorter than /8 (IPv4) or /16 (IPv6) and without host bits, at most
// client-max-entries per client, a known client for add/update, and the common name it
// connected with. Sets live in the tunnel's namespace: openvpn's own, or netns=. The sets are
// reached through NftOps (nft_ops.h): the kernel in the helper, a fake in unit tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "helper/classes.h"
#include "helper/mode.h"
#include "helper/nft_ops.h"
#include "helper_ipc/messages.h"
#include "kernel/netlink.h"
#include "kernel/nft.h"
#include "kernel/nft_sets.h"  // build_set_prefixes, build_set_flush
#include "state/state.h"

namespace vpnns {

// A server's set members are known by its instance's name: a second live helper of the same
// instance would remove the first one's members at its start. Refused, naming the other helper
// (the state file of that name says who it is: helper/state_file.h).
Status refuse_running_twin(const std::string& instance, const std::string& state_dir);

class ClientSets {
 public:
  // Loads the classes file, checks every configured set (exists, address type, interval) in
  // the namespace `netns_fd` (-1: the helper's own), and removes this instance's members.
  static Result<ClientSets> open(const Config& config, int netns_fd);
  // The same over a given nftables (unit tests: a fake) with the classes already loaded.
  static Result<ClientSets> open(const Config& config, std::unique_ptr<NftOps> nft,
                                 std::vector<ClassRule> rules);

  struct Client {
    std::string common_name;
    std::vector<SetRef> sets;
    std::set<Prefix> entries;
    // (client-set-shared=yes) members already in a set as someone else's: not ours to remove.
    std::set<std::pair<SetRef, Prefix>> borrowed;
  };
  // What each request changes (mode.h): the batch, and what the records become once committed.
  struct ConnectPlan {
    std::uint64_t client;
    Client record;
  };
  struct DisconnectPlan {
    std::uint64_t client;
    bool known = false;
    std::vector<NftChange> changes;
  };
  struct LearnPlan {
    LearnAddressRequest req;
    std::optional<std::uint64_t> previous;  // the owner until now
    bool nothing = false;                   // already so, or (delete) not known
    std::vector<NftChange> changes;
  };

  Status validate(const ClientConnectRequest& req) const;
  Status validate(const ClientDisconnectRequest& req) const;
  Status validate(const LearnAddressRequest& req) const;
  Result<ConnectPlan> plan(const ClientConnectRequest& req, std::vector<std::string>& warnings);
  Result<DisconnectPlan> plan(const ClientDisconnectRequest& req,
                              std::vector<std::string>& warnings);
  Result<LearnPlan> plan(const LearnAddressRequest& req, std::vector<std::string>& warnings);
  Result<std::string> apply(const ConnectPlan& plan, std::vector<std::string>& warnings);
  Result<std::string> apply(const DisconnectPlan& plan, std::vector<std::string>& warnings);
  Result<std::string> apply(const LearnPlan& plan, std::vector<std::string>& warnings);

  // The first UP's subnets join the pools (later UPs change nothing); what it did, for the log.
  std::string learn_pool(const UpRequest& req);
  // Removes every member of this instance from every configured set (EOF, close).
  Status remove_own();
  [[nodiscard]] const std::vector<Prefix>& pools() const { return pool_; }

  [[nodiscard]] std::size_t clients() const { return clients_.size(); }
  [[nodiscard]] std::size_t entries() const { return owner_.size(); }
  // Every configured set with its member count, as the state file reports it.
  [[nodiscard]] StateClientSets snapshot() const;

 private:
  struct SetKind {
    Family family;  // of its members
    bool interval;  // holds ranges (flags interval)
  };
  // Whether a set of kind `k` can hold `p`: its family, and a whole address unless an interval.
  static bool fits(const SetKind& k, const Prefix& p) {
    return p.family() == k.family && (k.interval || p.len == max_prefix_len(p.family()));
  }

  ClientSets(std::unique_ptr<NftOps> nft, const Config& config, std::vector<ClassRule> rules,
             std::map<SetRef, SetKind> kinds)
      : nft_(std::move(nft)),
        config_(config),
        rules_(std::move(rules)),
        kinds_(std::move(kinds)),
        tag_(owner_comment(config.instance)),
        pool_(config.client_pool) {}

  // (client_sets_bounds.cc) The bounds of trusted configuration on a connect and a learn.
  [[nodiscard]] Status check_bounds(const ClientConnectRequest& req) const;
  [[nodiscard]] Status check_bounds(const LearnAddressRequest& req) const;
  [[nodiscard]] std::uint32_t max_clients() const;
  // Removes from the sets every member tagged with this instance; how many.
  Result<std::size_t> purge_own();
  // Commits a learn's changes; an element already there is refused, or (shared) borrowed.
  Status commit_learn(const LearnPlan& plan, Client& client);

  // Adds to `changes` the element changes for `prefixes` in every set of `client`, one per
  // set, each prefix in the sets of its family.
  void change(std::vector<NftChange>& changes, const Client& client, bool add,
              const std::vector<Prefix>& prefixes) const;

  // Keeps members_ in step with a committed change() of the same arguments.
  void count(const Client& client, bool add, const std::vector<Prefix>& prefixes);

  std::unique_ptr<NftOps> nft_;
  Config config_;
  std::vector<ClassRule> rules_;
  std::map<SetRef, SetKind> kinds_;  // every configured set
  std::string tag_;                  // this instance's element comment
  std::vector<Prefix> pool_;         // where VPN addresses may be
  bool up_seen_ = false;             // the pool is fixed

  std::map<std::uint64_t, Client> clients_;
  std::map<Prefix, std::uint64_t> owner_;
  // Members per set, counted as they are committed: the state file must not cost a walk over
  // every client at every event.
  std::map<SetRef, std::uint64_t> members_;
};

}  // namespace vpnns
