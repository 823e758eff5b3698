// SPDX-License-Identifier: GPL-2.0-or-later
// Writes the fuzz targets' seed corpora:  make_corpus DIR  fills DIR/<target>/ (tests/fuzz/corpus
// in the repository holds its output, committed).
//
// Seeds are what the parsers see in real use, so the fuzzer starts deep inside them rather than
// at the magic number: for frame_fuzzer, the encoding of every request and helper message type;
// for validator_fuzzer, requests the helper accepts for its fixed links and requests it refuses
// for one reason each; for envp_fuzzer, openvpn 2.6's env sets (and argv) for each event, a
// client's and a server's (variables as shared/OPENVPN-FACTS.md §4 lists them and
// tests/unit/envp_test.cc uses them), in that target's layout; for exec_frame_fuzzer, every
// vpnnsctl <-> vpnns-execd message type and each request mode. The output is deterministic: running
// it again over the committed corpus changes nothing (scripts/fuzz warns when it would).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exec_ipc/exec_wire.h"
#include "helper_ipc/wire.h"
#include "tests/fuzz/corpus_writer.h"

namespace vpnns::fuzz {
namespace {

IpAddr addr(const char* text) { return *IpAddr::parse(text); }
Prefix prefix(const char* text) { return *Prefix::parse(text); }

// ---------------------------------------------------------------------------------------------
// Requests and helper messages

UpRequest up_subnet() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1500;
  up.v4 = Ipv4Config{addr("192.0.2.2"), 24, std::nullopt};
  up.v6 = Ipv6Config{addr("2001:db8:100::1000"), 64};
  up.remote = addr("198.51.100.1");
  return up;
}

UpRequest up_p2p() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1400;
  up.context = Context::kRestart;
  up.v4 = Ipv4Config{addr("192.0.2.6"), 32, addr("192.0.2.5")};
  return up;
}

UpRequest up_v6_only() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1280;
  up.v6 = Ipv6Config{addr("2001:db8:100::1000"), 64};
  up.remote = addr("2001:db8:1::1");
  return up;
}

Route route(const char* dst, std::optional<IpAddr> gateway = std::nullopt,
            std::optional<std::uint32_t> metric = std::nullopt) {
  return Route{prefix(dst), gateway, metric};
}

RouteUpRequest route_up_subnet() {
  RouteUpRequest r;
  r.dev = "tun0";
  r.routes = {route("203.0.113.0/24", addr("192.0.2.1"), 7), route("198.51.100.0/24"),
              route("2001:db8:200::/48", addr("2001:db8:100::1")),
              route("2001:db8:300::/56", std::nullopt, 100)};
  r.dns.servers = {addr("192.0.2.53"), addr("2001:db8:100::53")};
  r.dns.search = {"example.test", "corp.example.test"};
  return r;
}

RouteUpRequest route_up_p2p() {
  RouteUpRequest r;
  r.dev = "tun0";
  r.routes = {route("0.0.0.0/0", addr("192.0.2.5")), route("203.0.113.0/24", addr("192.0.2.5"), 5)};
  r.dns.servers = {addr("192.0.2.5")};
  return r;
}

RouteUpRequest route_up_v6_only() {
  RouteUpRequest r;
  r.dev = "tun0";
  // redirect-gateway ipv6 pushes these instead of ::/0.
  r.routes = {route("::/3"), route("2000::/4"), route("3000::/4"), route("fc00::/7"),
              route("2001:db8:200::/48", addr("2001:db8:100::1"), 1024)};
  r.dns.servers = {addr("2001:db8:100::53")};
  r.dns.search = {"example.test."};
  return r;
}

// Accepted, with a warning: one destination and metric twice, and a pushed default route.
RouteUpRequest route_up_duplicates() {
  RouteUpRequest r;
  r.dev = "tun0";
  r.routes = {route("203.0.113.0/24", addr("192.0.2.1")),
              route("203.0.113.0/24", addr("192.0.2.3")), route("203.0.113.0/24", std::nullopt, 9),
              route("0.0.0.0/0", std::nullopt, 50)};
  return r;
}

void write_frames(CorpusWriter& w) {
  const std::string t = "frame_fuzzer";
  w.write(t, "up_subnet", encode_request(up_subnet()));
  w.write(t, "up_p2p_restart", encode_request(up_p2p()));
  w.write(t, "up_v6_only", encode_request(up_v6_only()));
  w.write(t, "route_up_subnet", encode_request(route_up_subnet()));
  w.write(t, "route_up_p2p", encode_request(route_up_p2p()));
  w.write(t, "route_up_empty", encode_request(RouteUpRequest{"tun1", {}, {}}));
  w.write(t, "route_predown", encode_request(RoutePredownRequest{"tun0"}));
  w.write(t, "down_init", encode_request(DownRequest{"tun0", Context::kInit}));
  w.write(t, "down_restart", encode_request(DownRequest{"tun0", Context::kRestart}));
  w.write(t, "ipchange_v4", encode_request(IpChangeRequest{addr("198.51.100.1"), 1194}));
  w.write(t, "ipchange_v6", encode_request(IpChangeRequest{addr("2001:db8:1::1"), 443}));
  w.write(t, "close", encode_request(CloseRequest{}));
  w.write(t, "client_connect", encode_request(ClientConnectRequest{7, "alice.example.test"}));
  w.write(t, "client_disconnect", encode_request(ClientDisconnectRequest{7, "alice"}));
  w.write(t, "learn_address_add",
          encode_request(LearnAddressRequest{LearnOp::kAdd, prefix("10.8.0.2/32"), 7, "alice"}));
  w.write(t, "learn_address_update_v6",
          encode_request(
              LearnAddressRequest{LearnOp::kUpdate, prefix("2001:db8:100::1002/128"), 8, {}}));
  w.write(t, "learn_address_delete_iroute",
          encode_request(
              LearnAddressRequest{LearnOp::kDelete, prefix("10.1.0.0/16"), std::nullopt, {}}));
  w.write(t, "dns_up", encode_request(DnsUpdownRequest{true, "tun0", route_up_subnet().dns}));
  w.write(t, "dns_down", encode_request(DnsUpdownRequest{false, "tun0", {}}));
  w.write(t, "hello", encode_hello(Hello{kProtocolVersion, 4242}));
  w.write(t, "reply_ok", encode_reply(Reply{Code::kOk, "tun0 in network namespace 'work'", {}}));
  w.write(t, "reply_refused",
          encode_reply(Reply{Code::kFailedPrecondition,
                             "request names device 'tun1', but this tunnel's device is 'tun0'",
                             {"route 198.51.100.0/24 via net_gateway 192.168.50.1 ignored",
                              "DNS server 192.0.2.54 uses transport DoT"}}));
  w.write(t, "reply_empty", encode_reply(Reply{Code::kSystem, {}, {}}));
}

void write_validator(CorpusWriter& w) {
  const std::string t = "validator_fuzzer";
  w.write(t, "up_subnet", encode_request(up_subnet()));
  w.write(t, "up_p2p", encode_request(up_p2p()));
  w.write(t, "up_v6_only", encode_request(up_v6_only()));
  UpRequest up = up_subnet();
  up.mtu = 1279;  // too small for IPv6
  w.write(t, "up_refused_mtu", encode_request(up));
  up = up_subnet();
  up.v4->local = addr("192.0.2.255");
  w.write(t, "up_refused_broadcast", encode_request(up));
  up = up_subnet();
  up.dev = "tun1";  // not the pinned tun0
  w.write(t, "up_refused_pinned", encode_request(up));
  up = up_p2p();
  up.v4->prefix_len = 24;
  w.write(t, "up_refused_p2p_prefix", encode_request(up));

  w.write(t, "route_up_subnet", encode_request(route_up_subnet()));
  w.write(t, "route_up_p2p", encode_request(route_up_p2p()));
  w.write(t, "route_up_v6_only", encode_request(route_up_v6_only()));
  w.write(t, "route_up_duplicates", encode_request(route_up_duplicates()));
  RouteUpRequest r = route_up_subnet();
  r.routes.push_back(route("203.0.113.0/24", addr("198.51.100.7")));
  w.write(t, "route_up_refused_offlink", encode_request(r));
  r = route_up_subnet();
  r.routes.push_back(route("192.0.2.0/24", addr("192.0.2.0")));
  w.write(t, "route_up_refused_network_gateway", encode_request(r));
  r = route_up_subnet();
  r.routes.push_back(Route{Prefix{addr("203.0.113.1"), 24}, std::nullopt, std::nullopt});
  w.write(t, "route_up_refused_host_bits", encode_request(r));
  r = route_up_subnet();
  r.dns.search.push_back("bad domain");
  w.write(t, "route_up_refused_search", encode_request(r));

  w.write(t, "ipchange_v4", encode_request(IpChangeRequest{addr("198.51.100.1"), 1194}));
  w.write(t, "ipchange_v6", encode_request(IpChangeRequest{addr("2001:db8:1::1"), 443}));
  w.write(t, "ipchange_refused_mapped",
          encode_request(IpChangeRequest{addr("::ffff:198.51.100.1"), 1194}));
  w.write(t, "ipchange_refused_multicast",
          encode_request(IpChangeRequest{addr("224.0.0.1"), 1194}));
}

// ---------------------------------------------------------------------------------------------
// envp sets, in envp_fuzzer's layout

enum Event : std::uint8_t {
  kUp = 0,
  kRouteUp = 1,
  kRoutePredown = 2,
  kDown = 3,
  kIpChange = 4,
  kClientConnect = 5,
  kClientDisconnect = 6,
  kLearnAddress = 7,
  kDnsUpdown = 8,
};

std::vector<std::uint8_t> env_input(Event event, const std::vector<std::string>& argv,
                                    const std::vector<std::string>& envp) {
  std::vector<std::uint8_t> out{event};
  auto add = [&](std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(0);
  };
  if (!argv.empty()) {
    for (const auto& a : argv) add(a);
    add("");
  }
  for (const auto& e : envp) add(e);
  return out;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// What openvpn's env set holds at every event, besides the event's own variables.
const std::vector<std::string> kCommon = {"config=/etc/openvpn/client/work.conf",
                                          "verb=3",
                                          "daemon=0",
                                          "daemon_log_redirect=0",
                                          "proto_1=udp",
                                          "remote_1=vpn.example.test",
                                          "remote_port_1=1194",
                                          "common_name=server",
                                          "X509_0_CN=server",
                                          "tls_serial_0=1",
                                          "trusted_ip=198.51.100.1",
                                          "trusted_port=1194",
                                          "untrusted_ip=198.51.100.1",
                                          "untrusted_port=1194",
                                          "dev_type=tun"};

const std::vector<std::string> kSubnet = {"dev=tun0",
                                          "tun_mtu=1500",
                                          "script_context=init",
                                          "ifconfig_local=192.0.2.2",
                                          "ifconfig_netmask=255.255.255.0",
                                          "ifconfig_ipv6_local=2001:db8:100::1000",
                                          "ifconfig_ipv6_netbits=64",
                                          "ifconfig_ipv6_remote=2001:db8:100::1",
                                          "route_vpn_gateway=192.0.2.1",
                                          "route_net_gateway=192.168.50.1"};

const std::vector<std::string> kPushed = {
    "route_network_1=203.0.113.0",
    "route_netmask_1=255.255.255.0",
    "route_gateway_1=192.0.2.1",
    "route_metric_1=7",
    "route_network_2=198.51.100.0",
    "route_netmask_2=255.255.255.0",
    "route_gateway_2=192.168.50.1",
    "route_ipv6_network_1=2001:db8:200::/48",
    "route_ipv6_gateway_1=2001:db8:100::1",
    "route_ipv6_network_2=2001:db8:300::/56",
    "route_ipv6_metric_2=100",
    "net_gateway_ipv6=2001:db8:ffff::1",
    "foreign_option_1=dhcp-option DOMAIN example.test",
    "foreign_option_2=dhcp-option DNS 192.0.2.53",
    "foreign_option_3=dhcp-option DOMAIN-SEARCH corp.example.test",
    "foreign_option_4=dhcp-option DNS6 2001:db8:100::53",
    "foreign_option_5=dhcp-option NTP 192.0.2.123",
    "OPENVPN_FOO=bar"};

void write_envp(CorpusWriter& w) {
  const std::string t = "envp_fuzzer";
  w.write(t, "up_subnet", env_input(kUp, {}, concat(kSubnet, kCommon)));
  w.write(t, "up_net30_restart",
          env_input(kUp, {},
                    concat({"dev=tun3", "tun_mtu=1400", "script_context=restart",
                            "ifconfig_local=192.0.2.6", "ifconfig_remote=192.0.2.5"},
                           kCommon)));
  w.write(t, "up_v6_only_trusted_ip6",
          env_input(kUp, {},
                    {"dev=tun0", "tun_mtu=1280", "ifconfig_ipv6_local=2001:db8:100::1000",
                     "ifconfig_ipv6_netbits=64", "trusted_ip6=2001:db8:1::1", "trusted_port=443",
                     "proto_1=udp6"}));
  w.write(t, "route_up_pushed", env_input(kRouteUp, {}, concat(concat(kSubnet, kPushed), kCommon)));
  w.write(t, "route_up_dns_options",
          env_input(kRouteUp, {},
                    {"dev=tun0", "dns_server_1_address_1=192.0.2.53",
                     "dns_server_1_address_2=2001:db8:100::53", "dns_server_1_port_2=53",
                     "dns_server_2_address_1=192.0.2.54", "dns_server_2_transport=DoT",
                     "dns_server_2_sni=dns.example.test", "dns_server_3_address_1=192.0.2.55",
                     "dns_server_3_port_1=5353", "dns_server_1_resolve_domain_1=corp.example.test",
                     "dns_search_domain_1=example.test", "dns_search_domain_2=corp.example.test",
                     "foreign_option_1=dhcp-option DNS 192.0.2.53",
                     "foreign_option_2=dhcp-option DOMAIN-SEARCH example.test"}));
  w.write(t, "route_up_redirect_gateway",
          env_input(kRouteUp, {},
                    concat({"dev=tun0", "redirect_gateway=1", "route_ipv6_network_1=::/3",
                            "route_ipv6_network_2=2000::/4", "route_ipv6_network_3=3000::/4",
                            "route_ipv6_network_4=fc00::/7"},
                           kSubnet)));
  w.write(t, "route_predown",
          env_input(kRoutePredown, {}, concat(concat(kSubnet, {"signal=sigterm"}), kCommon)));
  w.write(t, "down_restart",
          env_input(kDown, {},
                    {"dev=tun0", "tun_mtu=1500", "script_context=restart", "signal=sigusr1"}));
  w.write(t, "ipchange_argv_v4", env_input(kIpChange, {"[AF_INET]198.51.100.1 1194"}, kCommon));
  w.write(t, "ipchange_argv_v6_split",
          env_input(kIpChange, {"[AF_INET6]2001:db8:1::1", "443"},
                    {"trusted_ip6=2001:db8:1::1", "trusted_port=443", "common_name=server"}));
  w.write(t, "ipchange_argv_mapped",
          env_input(kIpChange, {"[AF_INET6]::ffff:198.51.100.1 1194"}, kCommon));
  w.write(t, "ipchange_env_fallback", env_input(kIpChange, {}, kCommon));

  // A server's events: the client's env set, learn-address's argv.
  const std::vector<std::string> client = {"common_name=alice.example.test",
                                           "X509_0_CN=alice.example.test",
                                           "trusted_ip=203.0.113.7",
                                           "trusted_port=40000",
                                           "ifconfig_pool_remote_ip=10.8.0.2",
                                           "ifconfig_pool_netmask=255.255.255.0",
                                           "ifconfig_pool_remote_ip6=2001:db8:100::1002",
                                           "IV_VER=2.6.3",
                                           "IV_PLAT=linux",
                                           "time_unix=1700000000"};
  w.write(t, "client_connect", env_input(kClientConnect, {}, client));
  w.write(
      t, "client_disconnect",
      env_input(kClientDisconnect, {},
                concat(client, {"bytes_received=4096", "bytes_sent=8192", "time_duration=60"})));
  w.write(t, "learn_address_add", env_input(kLearnAddress, {"add", "10.8.0.2", "alice"}, client));
  w.write(t, "learn_address_update_v6",
          env_input(kLearnAddress, {"update", "2001:db8:100::1002", "alice"}, client));
  w.write(t, "learn_address_iroute", env_input(kLearnAddress, {"add", "10.1.0.0/16", "alice"}, {}));
  w.write(t, "learn_address_delete", env_input(kLearnAddress, {"delete", "10.8.0.2"}, {}));
  // openvpn 2.7's dns-updown env (updown_env_set in its dns.c).
  w.write(t, "dns_up",
          env_input(kDnsUpdown, {},
                    {"dev=tun0", "script_type=dns-up", "dns_search_domain_1=example.test",
                     "dns_server_1_address_1=192.0.2.53", "dns_server_1_address_2=2001:db8:100::53",
                     "dns_server_1_port_2=53", "dns_server_1_resolve_domain_1=corp.example.test",
                     "dns_server_1_dnssec=optional", "dns_server_2_address_1=192.0.2.54",
                     "dns_server_2_transport=DoT", "dns_server_2_sni=dns.example.test"}));
  w.write(t, "dns_down", env_input(kDnsUpdown, {}, {"dev=tun0", "script_type=dns-down"}));
}

// ---------------------------------------------------------------------------------------------
// vpnnsctl <-> vpnns-execd frames: every message type, each mode of a request.

void write_exec_frames(CorpusWriter& w) {
  const std::string t = "exec_frame_fuzzer";
  ExecRequest pipe;
  pipe.netns = "work";
  pipe.argv = {"sh", "-c", "echo hello\nexit 3"};
  pipe.env = {"PATH=/usr/bin:/bin", "LANG=C"};
  w.write(t, "request-pipe", encode_exec(ExecClientMessage(pipe)));
  ExecRequest pty = pipe;
  pty.mode = ExecMode::kPty;
  pty.umask = 077;
  pty.winsize = ExecWinSize{24, 80, 0, 0};
  ExecTermModes term;
  term.iflag = 0x500;
  term.oflag = 0x5;
  term.cflag = 0xbf;
  term.lflag = 0x8a3b;
  term.cc[0] = 3;
  term.ispeed = term.ospeed = 15;
  pty.term = term;
  w.write(t, "request-pty", encode_exec(ExecClientMessage(pty)));
  pty.mode = ExecMode::kPtyOwnStderr;
  w.write(t, "request-pty-own-stderr", encode_exec(ExecClientMessage(pty)));
  w.write(t, "signal", encode_exec(ExecClientMessage(ExecSignal{15})));
  w.write(t, "started", encode_exec(ExecServiceMessage(ExecStarted{4242})));
  w.write(t, "stopped", encode_exec(ExecServiceMessage(ExecStopped{20})));
  w.write(t, "exit", encode_exec(ExecServiceMessage(ExecExit{false, 3, false})));
  w.write(t, "exit-signal", encode_exec(ExecServiceMessage(ExecExit{true, 11, true})));
  w.write(t, "refused",
          encode_exec(ExecServiceMessage(
              ExecRefused{Code::kPermissionDenied, "user x may not enter 'gw'", 125})));
  // vpnnsctl forward's socket requests (exec_ipc/socket_wire.h).
  ForwardRequest forward{"work",
                         {{SocketKind::kTcpConnect, {127, 0, 0, 1}, 9091},
                          {SocketKind::kTcpListen, {127, 0, 0, 1}, 3128},
                          {SocketKind::kUdpConnect, {127, 0, 0, 1}, 53},
                          {SocketKind::kUdpBind, {127, 0, 0, 1}, 5353}}};
  w.write(t, "forward", encode_exec(ExecClientMessage(forward)));
  w.write(t, "socket-open", encode_exec(ExecClientMessage(SocketOpen{7, 2})));
  w.write(t, "forward-ready", encode_exec(ExecServiceMessage(ForwardReady{})));
  w.write(t, "socket-opened", encode_exec(ExecServiceMessage(SocketOpened{7})));
  w.write(t, "socket-failed",
          encode_exec(ExecServiceMessage(SocketFailed{
              7, Code::kSystem, 111, "tcp connect 127.0.0.1:9091 in namespace 'work'"})));
}

}  // namespace
}  // namespace vpnns::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR   (writes DIR/<fuzz target>/<seed>)\n");
    return 2;
  }
  vpnns::fuzz::CorpusWriter writer(argv[1]);
  vpnns::fuzz::write_orders(writer);  // corpus_execd.cc
  vpnns::fuzz::write_limits(writer);
  vpnns::fuzz::write_frames(writer);
  vpnns::fuzz::write_validator(writer);
  vpnns::fuzz::write_envp(writer);
  vpnns::fuzz::write_exec_frames(writer);
  if (!writer.ok()) return 1;
  std::printf("make_corpus: %d seeds in %s\n", writer.count(), argv[1]);
  return 0;
}
