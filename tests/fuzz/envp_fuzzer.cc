// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz target: the plugin's envp/argv parsers (plugin/envp.h), which read what openvpn puts in
// the environment — pushed options from the VPN server among them — inside openvpn's process.
//
// Input layout:
//   byte 0     which event: % 9 → UP, ROUTE_UP (netns mode and seal mode), ROUTE_PREDOWN, DOWN,
//              IPCHANGE, a server's CLIENT_CONNECT, CLIENT_DISCONNECT, LEARN_ADDRESS (the
//              last with and without the client's context), and openvpn 2.7's dns-updown env
//              (vpnns-dns-updown's parser)
//   the rest   NUL-separated strings. If one of them is empty ("\0\0"), those before it are
//              argv[1..] (IPCHANGE's "[AF_INET]192.0.2.1 1194", LEARN_ADDRESS's "add"
//              "10.8.0.2" "cn"; argv[0] is the plugin's path) and those after it the envp;
//              otherwise all of them are the envp.
// Every string gets a heap block of exactly its length plus the NUL, so ASan sees a read past it.
//
// Beyond "no crash": Env::get agrees with a plain first-match lookup; what a parser accepts is
// what the next layer accepts — it encodes to a frame that decode_request gives back equal (the
// helper never refuses as malformed what the plugin built); ROUTE_UP's netns mode changes
// warnings only; an IPCHANGE or LEARN_ADDRESS address is never IPv4-mapped, a port never 0; a
// LEARN_ADDRESS delete names no client, add and update name the one given.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/names.h"
#include "helper_ipc/wire.h"
#include "plugin/envp.h"
#include "tests/fuzz/fuzz_check.h"

namespace vpnns::fuzz {
namespace {

enum class Event : std::uint8_t {
  kUp,
  kRouteUp,
  kRoutePredown,
  kDown,
  kIpChange,
  kClientConnect,
  kClientDisconnect,
  kLearnAddress,
  kDnsUpdown,
  kCount
};

// The number of the client's per-client context, as plugin.cc hands it to the parsers.
constexpr std::uint64_t kClient = 42;

// A NULL-terminated array of C strings, as openvpn hands argv and envp to a plugin.
class Strings {
 public:
  Strings() : ptrs_{nullptr} {}
  void add(std::string_view s) {
    auto block = std::make_unique<char[]>(s.size() + 1);
    std::copy(s.begin(), s.end(), block.get());
    block[s.size()] = '\0';
    ptrs_.insert(ptrs_.end() - 1, block.get());
    blocks_.push_back(std::move(block));
  }
  // Valid until the next add().
  [[nodiscard]] const char* const* get() const { return ptrs_.data(); }
  [[nodiscard]] std::size_t size() const { return ptrs_.size() - 1; }
  [[nodiscard]] std::string_view at(std::size_t i) const { return ptrs_[i]; }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<const char*> ptrs_;
};

// Env::get(name) is the value of the first entry that is exactly "name=...".
void check_lookup(const Env& env, const Strings& envp) {
  const std::size_t n = std::min<std::size_t>(envp.size(), 64);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view entry = envp.at(i);
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    const std::string_view name = entry.substr(0, eq);
    std::optional<std::string_view> want;
    for (std::size_t j = 0; j < envp.size() && !want; ++j) {
      const std::string_view e = envp.at(j);
      if (e.size() > name.size() && e.starts_with(name) && e[name.size()] == '=') {
        want = e.substr(name.size() + 1);
      }
    }
    FUZZ_CHECK(env.get(name) == want);
  }
}

// What the plugin parsed is a request the helper's decoder takes back unchanged.
void check_sendable(const Request& request) {
  auto back = decode_request(encode_request(request));
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(*back == request);
}

void check_up(const Env& env) {
  auto r = parse_up(env);
  if (!r.ok()) return;
  const UpRequest& up = r->request;
  FUZZ_CHECK(is_valid_ifname(up.dev));
  FUZZ_CHECK(!up.v4 || (up.v4->local.is_v4() && up.v4->prefix_len <= 32));
  FUZZ_CHECK(!up.v4 || !up.v4->peer || up.v4->prefix_len == 32);
  FUZZ_CHECK(!up.v6 || (!up.v6->local.is_v4() && up.v6->prefix_len <= 128));
  FUZZ_CHECK(!up.remote || *up.remote == up.remote->unmapped());
  check_sendable(up);
}

void check_route_up(const Env& env) {
  auto netns = parse_route_up(env, true);
  auto seal = parse_route_up(env, false);
  FUZZ_CHECK(netns.ok() == seal.ok());
  if (!netns.ok()) return;
  FUZZ_CHECK(netns->request == seal->request);
  FUZZ_CHECK(seal->warnings.size() <= netns->warnings.size());
  const RouteUpRequest& req = netns->request;
  FUZZ_CHECK(is_valid_ifname(req.dev));
  FUZZ_CHECK(req.routes.size() <= kMaxRoutes);
  for (const Route& route : req.routes) {
    FUZZ_CHECK(!route.dst.has_host_bits());
    FUZZ_CHECK(!route.gateway || route.gateway->family() == route.dst.family());
  }
  FUZZ_CHECK(req.dns.servers.size() <= kMaxDnsServers && req.dns.search.size() <= kMaxDnsSearch);
  for (const std::string& domain : req.dns.search) FUZZ_CHECK(is_valid_dns_name(domain));
  check_sendable(req);
}

void check_dns_updown(const Env& env) {
  auto r = parse_dns_updown(env);
  if (!r.ok()) return;
  const DnsUpdownRequest& req = r->request;
  FUZZ_CHECK(is_valid_ifname(req.dev));
  FUZZ_CHECK(req.up || (req.dns.servers.empty() && req.dns.search.empty()));
  FUZZ_CHECK(req.dns.servers.size() <= kMaxDnsServers && req.dns.search.size() <= kMaxDnsSearch);
  for (const std::string& domain : req.dns.search) FUZZ_CHECK(is_valid_dns_name(domain));
  check_sendable(req);
}

void check_ipchange(const Env& env, const char* const* argv) {
  auto r = parse_ipchange(env, argv);
  if (!r.ok()) return;
  FUZZ_CHECK(r->request.port != 0);
  FUZZ_CHECK(r->request.remote == r->request.remote.unmapped());
  check_sendable(r->request);
}

template <typename T>
void check_client_event(const Result<Parsed<T>>& r) {
  if (!r.ok()) return;
  FUZZ_CHECK(r->request.client == kClient);
  FUZZ_CHECK(!r->request.common_name.empty() && r->request.common_name.size() <= kMaxCommonName);
  check_sendable(r->request);
}

void check_learn_address(const char* const* argv, std::optional<std::uint64_t> client) {
  auto r = parse_learn_address(argv, client);
  if (!r.ok()) return;
  const LearnAddressRequest& req = r->request;
  if (req.op == LearnOp::kDelete) {
    FUZZ_CHECK(!req.client && req.common_name.empty());
  } else {
    FUZZ_CHECK(client && req.client == client);
  }
  FUZZ_CHECK(req.address.len <= max_prefix_len(req.address.family()));
  FUZZ_CHECK(req.address.addr == req.address.addr.unmapped());
  FUZZ_CHECK(req.common_name.size() <= kMaxCommonName);
  check_sendable(req);
}

void run(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  const auto event = static_cast<Event>(data[0] % static_cast<std::uint8_t>(Event::kCount));
  std::vector<std::string_view> pieces;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  for (std::size_t pos = 0; pos < rest.size();) {
    const std::size_t end = std::min(rest.find('\0', pos), rest.size());
    pieces.push_back(rest.substr(pos, end - pos));
    pos = end + 1;
  }
  const auto separator = std::ranges::find(pieces, std::string_view{});
  Strings argv;
  Strings envp;
  argv.add("/usr/lib/openvpn/vpnns.so");
  if (separator != pieces.end()) {
    std::for_each(pieces.begin(), separator, [&](std::string_view s) { argv.add(s); });
    std::for_each(separator + 1, pieces.end(), [&](std::string_view s) { envp.add(s); });
  } else {
    for (std::string_view s : pieces) envp.add(s);
  }
  const Env env(envp.get());
  check_lookup(env, envp);

  switch (event) {
    case Event::kUp:
      check_up(env);
      break;
    case Event::kRouteUp:
      check_route_up(env);
      break;
    case Event::kRoutePredown:
      if (auto r = parse_route_predown(env); r.ok()) check_sendable(r->request);
      break;
    case Event::kDown:
      if (auto r = parse_down(env); r.ok()) check_sendable(r->request);
      break;
    case Event::kIpChange:
      check_ipchange(env, argv.get());
      break;
    case Event::kDnsUpdown:
      check_dns_updown(env);
      break;
    case Event::kClientConnect:
      check_client_event(parse_client_connect(env, kClient));
      break;
    case Event::kClientDisconnect:
      check_client_event(parse_client_disconnect(env, kClient));
      break;
    case Event::kLearnAddress:
      check_learn_address(argv.get(), kClient);
      check_learn_address(argv.get(), std::nullopt);
      break;
    case Event::kCount:
      break;
  }
}

}  // namespace
}  // namespace vpnns::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vpnns::fuzz::run(data, size);
  return 0;
}
