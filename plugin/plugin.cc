// SPDX-License-Identifier: GPL-2.0-or-later
// vpnns.so: the openvpn-plugin-v3 entry points, and the only code that sees openvpn's types.
//
// open_v3   parse the plugin arguments (trusted: read as root, before any network input), refuse
//           to run unprivileged (openvpn re-opens plugins inside its chroot as `user` after a
//           SIGHUP, where nothing vpnns needs is possible), spawn the helper and wait for it.
// func_v3   envp/argv → one typed request → the helper → SUCCESS or ERROR, with the helper's
//           reason in openvpn's log. The plugin holds no policy of its own: it translates.
// close_v1  ask the helper to tear down and exit, and wait for it.
// abort_v1  openvpn is dying from a fatal error: drop the socket; the helper sees EOF, tears
//           down and exits on its own. openvpn may call this with a NULL handle.
// client_constructor_v1 / _destructor_v1  (server) number each client, so the helper can tell
//           clients apart: a common name is not unique, and learn-address "delete" has none.
//
// All state lives in the handle (two `plugin` lines may load this .so twice). Every entry point
// catches everything: an exception must never unwind into openvpn's C code.
#include <openvpn/openvpn-plugin.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/tun_fd.h"
#include "helper_ipc/channel.h"
#include "plugin/envp.h"
#include "plugin/helper_process.h"
#include "plugin/openvpn_config.h"
#include "plugin/openvpn_server.h"

#ifndef VPNNS_DEFAULT_HELPER
#error "VPNNS_DEFAULT_HELPER must name the installed helper path"
#endif

#define VPNNS_EXPORT extern "C" __attribute__((visibility("default")))

namespace vpnns {
namespace {

constexpr const char* kName = "vpnns";

class Log {
 public:
  explicit Log(plugin_log_t log) : log_(log) {}
  void error(const std::string& m) const { emit(PLOG_ERR, m); }
  void warn(const std::string& m) const { emit(PLOG_WARN, m); }
  void note(const std::string& m) const { emit(PLOG_NOTE, m); }

 private:
  void emit(openvpn_plugin_log_flags_t flags, const std::string& m) const {
    if (log_ != nullptr) log_(flags, kName, "%s", m.c_str());
  }
  plugin_log_t log_;
};

struct PluginState {
  Config config;
  HelperProcess helper;
  Log log;
  std::uint64_t next_client = 1;  // numbers per-client contexts (server side)
  // The `signal` of the last DOWN (openvpn's reason): with a kill switch, close_v1 lifts it only
  // after an exit the administrator asked for.
  std::string last_down_signal = {};
};

// Whether openvpn closes the plugin because someone told it to stop (SIGTERM, SIGINT; also
// management's `signal SIGTERM` and a server's exit-notify, which openvpn turns into SIGTERM).
// The last DOWN's `signal` says otherwise when openvpn ends on its own: SIGHUP (openvpn re-opens
// plugins unprivileged, vpnns cannot follow: it stops), ping-exit, inactive, a fatal error. Then
// a killswitch=yes stays (helper/killswitch.h). A DOWN of a restart (sigusr1, ping-restart,
// connection-reset: without persist-tun) says nothing about the stop that came later.
bool clean_stop(const std::string& down_signal) {
  for (const char* own : {"sighup", "ping-exit", "inactive", "error", "unknown"}) {
    if (down_signal == own) return false;
  }
  return true;
}

// What openvpn keeps for each connected client on our behalf: its number, by which the helper
// knows the client (a common name is not unique, and learn-address "delete" comes without one).
struct ClientContext {
  std::uint64_t id;
};

int event_mask(const Config& config) {
  int mask = 0;
  if (config.netns_mode() || config.seal) {
    mask |= OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_UP) | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_ROUTE_UP) |
            OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_ROUTE_PREDOWN) |
            OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_DOWN);
  }
  // The seal follows the server's address, which IPCHANGE reports.
  if (config.seal) mask |= OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_IPCHANGE);
  if (config.server_mode()) {
    // UP: the server's own tunnel subnets bound the addresses clients may have.
    mask |= OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_UP) |
            OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2) |
            OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_DISCONNECT) |
            OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_LEARN_ADDRESS);
  }
  return mask;
}

std::optional<std::uint64_t> client_of(void* per_client_context) {
  if (per_client_context == nullptr) return std::nullopt;
  return static_cast<const ClientContext*>(per_client_context)->id;
}

template <typename T>
Result<Request> to_request(Result<Parsed<T>> parsed, const Log& log) {
  if (!parsed) return parsed.error();
  for (const auto& w : parsed->warnings) log.warn(w);
  return Request(std::move(parsed->request));
}

Result<Request> parse_event(int type, const char* const* argv, const char* const* envp,
                            void* per_client_context, const Config& config, const Log& log) {
  const Env env(envp);
  const std::optional<std::uint64_t> client = client_of(per_client_context);
  auto need_client = [&]() -> Result<std::uint64_t> {
    if (!client) return Error(Code::kInvalidArgument, "no per-client context for a client event");
    return *client;
  };
  switch (type) {
    case OPENVPN_PLUGIN_CLIENT_CONNECT_V2: {
      VPNNS_ASSIGN_OR_RETURN(auto id, need_client());
      return to_request(parse_client_connect(env, id), log);
    }
    case OPENVPN_PLUGIN_CLIENT_DISCONNECT: {
      VPNNS_ASSIGN_OR_RETURN(auto id, need_client());
      return to_request(parse_client_disconnect(env, id), log);
    }
    case OPENVPN_PLUGIN_LEARN_ADDRESS:
      return to_request(parse_learn_address(argv, client), log);
    case OPENVPN_PLUGIN_UP:
      return to_request(parse_up(env), log);
    case OPENVPN_PLUGIN_ROUTE_UP:
      return to_request(parse_route_up(env, config.netns_mode()), log);
    case OPENVPN_PLUGIN_ROUTE_PREDOWN:
      return to_request(parse_route_predown(env), log);
    case OPENVPN_PLUGIN_DOWN:
      return to_request(parse_down(env), log);
    case OPENVPN_PLUGIN_IPCHANGE:
      return to_request(parse_ipchange(env, argv), log);
    default:
      return Error(Code::kInvalidArgument,
                   "event type " + std::to_string(type) + " was not requested by vpnns");
  }
}

int handle_event(PluginState& ctx, int type, const char* const* argv, const char* const* envp,
                 void* per_client_context) {
  if (type == OPENVPN_PLUGIN_DOWN) {
    ctx.last_down_signal = std::string(Env(envp).get("signal").value_or("unknown"));
  }
  auto request = parse_event(type, argv, envp, per_client_context, ctx.config, ctx.log);
  if (!request) {
    ctx.log.error("event refused before it reached the helper: " + request.error().text());
    return OPENVPN_PLUGIN_FUNC_ERROR;
  }
  const std::string name = request_name(*request);
  // netns mode: the helper moves the device only if openvpn holds it (helper/tun_holder.h), so
  // UP passes this process's own descriptors of it along.
  std::vector<int> tun_fds;
  if (const auto* up = std::get_if<UpRequest>(&*request); up && ctx.config.netns_mode()) {
    tun_fds = own_tun_fds(up->dev);
    if (tun_fds.size() > kMaxRequestFds) tun_fds.resize(kMaxRequestFds);
  }
  auto reply = ctx.helper.call(*request, kCallTimeoutMs, tun_fds);
  if (!reply) {
    ctx.log.error(name + " failed: " + reply.error().text());
    return OPENVPN_PLUGIN_FUNC_ERROR;
  }
  for (const auto& w : reply->warnings) ctx.log.warn(name + ": " + w);
  if (!reply->ok()) {
    ctx.log.error(name + " refused (" + code_name(reply->code) + "): " + reply->message);
    return OPENVPN_PLUGIN_FUNC_ERROR;
  }
  if (!reply->message.empty()) ctx.log.note(name + ": " + reply->message);
  return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

// The protocols and ports of openvpn's `remote` lines (remote_port_N, proto_N: openvpn's own
// configuration at open time): where the kill switch lets openvpn's sockets send before the
// server's address is known. A line whose values cannot be read is left out (and then blocked).
std::vector<RemotePort> remote_ports_of(const Env& env) {
  std::vector<RemotePort> out;
  for (int n = 1; n <= 64; ++n) {
    const auto port = env.get("remote_port_" + std::to_string(n));
    if (!port) break;
    const std::string proto(env.get("proto_" + std::to_string(n)).value_or("udp"));
    std::string problem;
    const bool tcp = proto.starts_with("tcp");
    auto parsed = parse_port_list(std::string(tcp ? "tcp/" : "udp/") + std::string(*port), problem);
    for (const auto& p : parsed) {
      if (std::find(out.begin(), out.end(), p) == out.end() && out.size() < 16) out.push_back(p);
    }
  }
  return out;
}

// vpnns-dns-updown sits beside the helper (installed, and in the build tree).
std::string dns_updown_path(const Config& config) {
  const auto slash = config.helper.rfind('/');
  return (slash == std::string::npos ? std::string(".") : config.helper.substr(0, slash)) +
         "/vpnns-dns-updown";
}

// The hosts openvpn's configuration connects to, as openvpn's open env lists them for each
// connection entry (remote_N; with a proxy, openvpn's socket talks to the proxy): what IPCHANGE's
// address must be one of (helper/peer_evidence.h). Trusted: set by openvpn from its options.
std::vector<std::string> configured_remotes(const Env& env) {
  std::vector<std::string> out;
  for (std::size_t i = 1; i <= kMaxRemotes; ++i) {
    for (const char* key : {"remote_", "http_proxy_server_", "socks_proxy_server_"}) {
      const auto host = env.get(key + std::to_string(i));
      if (host && !host->empty() && std::ranges::find(out, *host) == out.end()) {
        out.emplace_back(*host);
      }
    }
  }
  return out;
}

int open(const int version, const openvpn_plugin_args_open_in* in,
         openvpn_plugin_args_open_return* out) {
  const Log log(in->callbacks != nullptr ? in->callbacks->plugin_log : nullptr);
  if (::geteuid() != 0) {
    log.error(
        "loaded without root privileges: openvpn re-opens plugins after SIGHUP inside its chroot "
        "as its 'user', where vpnns can do nothing; SIGHUP is not supported with vpnns — restart "
        "openvpn instead (systemctl restart, or SIGTERM and start)");
    return OPENVPN_PLUGIN_FUNC_ERROR;
  }
  std::vector<std::string> words;
  if (in->argv != nullptr && in->argv[0] != nullptr) {
    for (const char* const* a = in->argv + 1; *a != nullptr; ++a) words.emplace_back(*a);
  }
  // openvpn's own configuration, as it tells the plugin at open time (trusted: parsed by
  // openvpn as root, before any network input): the configuration file names this instance
  // (its seal table), and a configuration without `remote` is a server's.
  const Env open_env(in->envp);
  const auto config_path = open_env.get("config");
  const Role role = open_env.get("remote_1") ? Role::kClient : Role::kServer;
  auto config =
      parse_config(words, ConfigDefaults{VPNNS_DEFAULT_HELPER,
                                         instance_from_config_path(config_path.value_or("openvpn")),
                                         role, remote_ports_of(open_env)});
  if (!config) {
    log.error("bad plugin arguments: " + config.error().message());
    return OPENVPN_PLUGIN_FUNC_ERROR;
  }
  // openvpn 2.7's DNS handling (openvpn_config.h); the version fields exist from struct
  // version 3 on, and older openvpns have no dns-updown.
  if (version >= 3) {
    auto checked = check_running_openvpn(in->ovpn_version_major, in->ovpn_version_minor, *config,
                                         dns_updown_path(*config));
    if (!checked) {
      log.error("cannot start: " + checked.error().text());
      return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    for (const auto& w : checked->warnings) log.warn(w);
  }
  // A server's pools and max-clients, from its configuration (openvpn_server.h).
  if (config->server_mode()) {
    if (auto options = read_running_openvpn()) {
      for (const auto& w : take_server_options(*options, *config)) log.warn(w);
    } else {
      log.warn(
          "client pools come from UP and client-pool= only, client-max from the plugin "
          "line: " +
          options.error().text());
    }
  }
  auto helper = HelperProcess::start(
      *config, config->seal ? configured_remotes(open_env) : std::vector<std::string>{});
  if (!helper) {
    log.error("cannot start: " + helper.error().text());
    return OPENVPN_PLUGIN_FUNC_ERROR;
  }
  const pid_t pid = helper->pid();
  auto ctx = std::make_unique<PluginState>(PluginState{*config, std::move(*helper), log});
  out->type_mask = event_mask(ctx->config);
  out->handle = reinterpret_cast<openvpn_plugin_handle_t>(ctx.release());
  std::string summary = "helper pid " + std::to_string(pid) + " started";
  if (config->netns_mode())
    summary += "; tunnel goes into network namespace '" + config->netns + "'";
  if (config->seal) summary += "; seal in nftables table inet " + config->seal_table();
  if (config->server_mode()) summary += "; keeping client sets";
  log.note(summary);
  if (config->killswitch_on()) {
    // The helper answered Hello only after the table was committed (helper/killswitch.h).
    log.note(
        "kill switch installed (nftables table inet " + config->killswitch_table() +
        ", killswitch=" + (config->killswitch == KillSwitchMode::kLockdown ? "lockdown" : "yes") +
        ", allow-lan=" + (config->allow_lan ? "yes" : "no") +
        "): nothing leaves this network namespace but through the tunnel and to openvpn's "
        "server");
  }
  return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

PluginState* context_of(openvpn_plugin_handle_t handle) {
  return reinterpret_cast<PluginState*>(handle);
}

}  // namespace
}  // namespace vpnns

VPNNS_EXPORT int openvpn_plugin_min_version_required_v1() { return 3; }

VPNNS_EXPORT int openvpn_plugin_open_v3(const int version,
                                        struct openvpn_plugin_args_open_in const* in,
                                        struct openvpn_plugin_args_open_return* out) {
  // Struct version 1 already has argv, envp and callbacks->plugin_log: all vpnns reads.
  if (version < 1 || in == nullptr || out == nullptr) return OPENVPN_PLUGIN_FUNC_ERROR;
  try {
    return vpnns::open(version, in, out);
  } catch (const std::exception& e) {
    if (in->callbacks != nullptr && in->callbacks->plugin_log != nullptr) {
      in->callbacks->plugin_log(PLOG_ERR, vpnns::kName, "cannot start: %s", e.what());
    }
  } catch (...) {
  }
  return OPENVPN_PLUGIN_FUNC_ERROR;
}

VPNNS_EXPORT int openvpn_plugin_func_v3(const int version,
                                        struct openvpn_plugin_args_func_in const* in,
                                        struct openvpn_plugin_args_func_return* /*out*/) {
  if (version < 1 || in == nullptr || in->handle == nullptr) return OPENVPN_PLUGIN_FUNC_ERROR;
  vpnns::PluginState* ctx = vpnns::context_of(in->handle);
  try {
    return vpnns::handle_event(*ctx, in->type, in->argv, in->envp, in->per_client_context);
  } catch (const std::exception& e) {
    ctx->log.error(std::string("internal error: ") + e.what());
  } catch (...) {
  }
  return OPENVPN_PLUGIN_FUNC_ERROR;
}

VPNNS_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle) {
  if (handle == nullptr) return;
  std::unique_ptr<vpnns::PluginState> ctx(vpnns::context_of(handle));
  try {
    if (ctx->config.killswitch_on() && !vpnns::clean_stop(ctx->last_down_signal)) {
      // The helper sees EOF, as when openvpn dies: it takes down the rest and holds the switch.
      ctx->log.note("close: kill switch held: openvpn stops after '" + ctx->last_down_signal +
                    "', not by SIGTERM; 'vpnnsctl reset " + ctx->config.instance + "' lifts it");
      ctx->helper.abandon();
      return;
    }
    vpnns::Reply reply = ctx->helper.close();
    for (const auto& w : reply.warnings) ctx->log.warn("close: " + w);
    if (!reply.ok()) {
      ctx->log.error("close: " + reply.message);
    } else if (ctx->config.killswitch_on()) {
      ctx->log.note("close: " + reply.message);  // says whether the kill switch is lifted or held
    }
  } catch (...) {
  }
}

VPNNS_EXPORT void* openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle) {
  if (handle == nullptr) return nullptr;
  try {
    vpnns::PluginState* ctx = vpnns::context_of(handle);
    return std::make_unique<vpnns::ClientContext>(vpnns::ClientContext{ctx->next_client++})
        .release();
  } catch (...) {
    return nullptr;
  }
}

VPNNS_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t,
                                                      void* per_client_context) {
  std::unique_ptr<vpnns::ClientContext>(static_cast<vpnns::ClientContext*>(per_client_context));
}

VPNNS_EXPORT void openvpn_plugin_abort_v1(openvpn_plugin_handle_t handle) {
  if (handle == nullptr) return;
  std::unique_ptr<vpnns::PluginState> ctx(vpnns::context_of(handle));
  ctx->helper.abandon();
}
