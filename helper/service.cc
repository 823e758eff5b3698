// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/service.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "helper/mode.h"
#include "helper_ipc/channel.h"
#include "helper_ipc/wire.h"
#include "state/process_info.h"

namespace vpnns {
namespace {

Reply reply_of(Result<std::string> result, Warnings warnings) {
  Reply r = result ? Reply::from(ok_status(), std::move(*result)) : Reply::from(result.error());
  r.warnings = std::move(warnings);
  return r;
}

Error not_expected(const Request& request) {
  return Error(Code::kFailedPrecondition,
               std::string(request_name(request)) + " was not expected: no client sets are kept");
}

// Wall-clock seconds; clock_gettime is in the seccomp allowlist (time(2) is not).
std::int64_t now() {
  timespec ts{};
  (void)::clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

// Monotonic milliseconds, for the state file's write delay.
std::int64_t now_ms() {
  timespec ts{};
  (void)::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "; " + b;
}

}  // namespace

Result<Service> Service::start(const Config& config, pid_t openvpn_pid,
                               const std::string& state_dir, const std::string& updown_dir,
                               const std::vector<std::string>& remotes) {
  Service service(config);
  // Who this is, for the state file: fixed for the helper's life.
  InstanceState& id = service.published_;
  id.instance = config.instance;
  id.role = config.role;
  id.helper_pid = ::getpid();
  if (auto self = process_info(id.helper_pid)) id.helper_start_time = self->start_time;
  id.openvpn_pid = openvpn_pid;
  id.started_at = now();
  if (config.seal) {
    // The remotes are resolved below, once the kill switch (if any) holds.
    VPNNS_ASSIGN_OR_RETURN(auto seal, Seal::open(config, openvpn_pid, {}));
    service.seal_.emplace(std::move(seal));
  }
  if (config.netns_mode()) {
    VPNNS_ASSIGN_OR_RETURN(auto tunnel, NetnsTunnel::open(config));
    service.tunnel_.emplace(std::move(tunnel));
    VPNNS_ASSIGN_OR_RETURN(auto updown, UpdownSocket::open(openvpn_pid, updown_dir));
    service.updown_.emplace(std::move(updown));
    // A convenience, not a condition: without it `ping` inside says "Operation not permitted".
    if (auto r = inherit_ping_group_range(service.tunnel_->netns_fd()); !r) {
      service.pending_.push_back("ping will not work for users inside network namespace '" +
                                 config.netns + "': " + r.error().text());
    }
  }
  if (config.server_mode()) {
    VPNNS_TRY(refuse_running_twin(config.instance, state_dir));
    // The sets live where the tunnel's traffic is forwarded: in its namespace.
    VPNNS_ASSIGN_OR_RETURN(
        auto sets, ClientSets::open(config, service.tunnel_ ? service.tunnel_->netns_fd() : -1));
    service.client_sets_.emplace(std::move(sets));
  }
  if (config.killswitch_on()) {
    // Last, so nothing after it can fail start-up and leave it behind; before Hello, so it
    // holds before openvpn's first packet.
    VPNNS_ASSIGN_OR_RETURN(auto ks,
                           KillSwitch::open(config, service.seal_->spec(), service.pending_));
    service.killswitch_.emplace(std::move(ks));
  }
  // The seal is aimed only at what openvpn's remotes resolve to (peer_evidence.h); looked up now,
  // while the helper may still open sockets, and after the kill switch, which lets these lookups
  // out (one held by an earlier run of the instance would not).
  if (service.seal_) service.seal_->resolve_remotes(remotes);
  // Opened now, while the helper may still create the directory; written from here on.
  auto file = StateFile::open(config.instance, state_dir);
  if (file) {
    if (!file->warning().empty()) service.pending_.push_back(file->warning());
    service.state_file_.emplace(std::move(*file));
    service.publish(std::nullopt, service.pending_);
  } else {
    service.pending_.push_back("no state file (vpnnsctl status will not show this instance): " +
                               file.error().text());
  }
  return service;
}

InstanceState Service::snapshot() const {
  InstanceState s = published_;
  if (tunnel_) s.netns = tunnel_->snapshot();
  if (seal_) {
    s.seal = seal_->snapshot();
    s.openvpn_uid = seal_->openvpn_uid();
  }
  if (client_sets_) s.client_sets = client_sets_->snapshot();
  if (killswitch_) s.killswitch = killswitch_->snapshot();
  return s;
}

void Service::publish(std::optional<StateEvent> event, Warnings& warnings) {
  if (!state_file_) return;
  InstanceState next = snapshot();
  if (event) next.last_event = std::move(event);
  next.updated_at = published_.updated_at;
  if (next == published_ && published_.updated_at != 0) return;  // nothing changed
  next.updated_at = now();
  if (Status s = state_file_->write(next); !s) {
    if (!state_failing_) {
      warnings.push_back("could not update the state file (vpnnsctl status may be out of date): " +
                         s.error().text());
    }
    state_failing_ = true;
    return;
  }
  state_failing_ = false;
  published_ = std::move(next);
}

Result<std::string> Service::on(const UpRequest& req, Warnings& warnings) {
  // Every mode judges the request before any of them changes anything.
  if (seal_) VPNNS_TRY(seal_->validate(req));
  if (tunnel_) VPNNS_TRY(tunnel_->validate(req));
  std::string summary;
  if (seal_) {
    // The seal comes first and is fatal when it fails: openvpn must not carry on unsealed.
    VPNNS_ASSIGN_OR_RETURN(summary, plan_and_apply(*seal_, req, warnings));
  }
  if (killswitch_) {
    killswitch_follow(warnings);
    VPNNS_ASSIGN_OR_RETURN(std::string ks, killswitch_->learn_tunnel(req.dev, warnings));
    summary = join(summary, ks);
  }
  if (tunnel_) {
    VPNNS_ASSIGN_OR_RETURN(std::string moved, plan_and_apply(*tunnel_, req, warnings));
    summary = join(moved, summary);
  }
  // A server's first UP (openvpn still root, no client yet) tells its own client pools.
  if (client_sets_) summary = join(summary, client_sets_->learn_pool(req));
  return summary;
}

Result<std::string> Service::on(const RouteUpRequest& req, Warnings& warnings) {
  std::string summary;
  if (tunnel_) {
    VPNNS_ASSIGN_OR_RETURN(summary, run_mode(*tunnel_, req, warnings));
  }
  if (seal_) {
    VPNNS_TRY(seal_->ensure(warnings));
    // On a client, openvpn drops privileges right after this event.
    seal_->watch_for_privilege_drop();
  }
  if (killswitch_) killswitch_follow(warnings);
  return summary;
}

Result<std::string> Service::on(const RoutePredownRequest& req, Warnings& warnings) {
  if (!tunnel_) return std::string();
  return run_mode(*tunnel_, req, warnings);
}

Result<std::string> Service::on(const DownRequest& req, Warnings& warnings) {
  std::string summary;
  if (tunnel_) {
    VPNNS_ASSIGN_OR_RETURN(summary, run_mode(*tunnel_, req, warnings));
  }
  if (seal_ && req.context == Context::kInit) {
    VPNNS_TRY(seal_->remove());
    summary = join(summary, "seal removed");
  }
  return summary;
}

Result<std::string> Service::on(const IpChangeRequest& req, Warnings& warnings) {
  if (!seal_) return std::string();
  VPNNS_ASSIGN_OR_RETURN(std::string summary, run_mode(*seal_, req, warnings));
  if (killswitch_) killswitch_follow(warnings);
  return summary;
}

void Service::killswitch_follow(Warnings& warnings) {
  if (Status s = killswitch_->follow(seal_->spec(), warnings); !s) {
    warnings.push_back(
        "kill switch could not follow the seal (openvpn's server or sockets may "
        "be blocked): " +
        s.error().text());
  }
}

Result<std::string> Service::on(const DnsUpdownRequest& req, Warnings& warnings) {
  if (!tunnel_) {
    return Error(Code::kFailedPrecondition,
                 "dns-updown was not expected: vpnns is not in netns mode (in seal mode the "
                 "tunnel is the host's, and so is its DNS)");
  }
  return run_mode(*tunnel_, req, warnings);
}

Result<std::string> Service::on(const CloseRequest& /*req*/, Warnings& /*warnings*/) {
  // handle() tears down on CLOSE before it dispatches.
  return Error(Code::kInternal, "CLOSE is handled by teardown");
}

Result<std::string> Service::on(const ClientConnectRequest& req, Warnings& warnings) {
  if (!client_sets_) return not_expected(req);
  return run_mode(*client_sets_, req, warnings);
}

Result<std::string> Service::on(const ClientDisconnectRequest& req, Warnings& warnings) {
  if (!client_sets_) return not_expected(req);
  return run_mode(*client_sets_, req, warnings);
}

Result<std::string> Service::on(const LearnAddressRequest& req, Warnings& warnings) {
  if (!client_sets_) return not_expected(req);
  return run_mode(*client_sets_, req, warnings);
}

Reply Service::handle(const Request& request, bool with_pending) {
  Warnings warnings;
  if (with_pending) warnings = std::exchange(pending_, {});
  if (std::holds_alternative<CloseRequest>(request)) {
    Reply r = teardown(true);
    r.warnings.insert(r.warnings.begin(), warnings.begin(), warnings.end());
    return r;
  }
  // The result first, then the reply: the handlers add to `warnings` as they go.
  Result<std::string> result = dispatch(request, warnings);
  Reply reply = reply_of(std::move(result), std::move(warnings));
  mark_stale(StateEvent{request_name(request), reply.ok(), reply.message, now()});
  return reply;
}

Reply Service::handle(const Request& request, std::vector<UniqueFd> fds) {
  if (fds.empty()) return handle(request);
  if (!std::holds_alternative<UpRequest>(request)) {
    return Reply::from(Error(Code::kInvalidArgument,
                             std::string("malformed frame: unexpected ancillary data (") +
                                 request_name(request) +
                                 " carries no descriptors; only UP passes openvpn's tun); the "
                                 "passed descriptors were closed"));
  }
  if (!tunnel_) return handle(request);  // seal mode does not move the device: not needed
  tunnel_->offer_tun_fds(std::move(fds));
  Reply reply = handle(request);
  tunnel_->forget_tun_fds();
  return reply;
}

void Service::mark_stale(std::optional<StateEvent> event) {
  if (!state_file_) return;
  const std::int64_t t = now_ms();
  if (!stale_) stale_since_ms_ = t;
  stale_ = true;
  last_change_ms_ = t;
  if (event) stale_event_ = std::move(event);
}

int Service::state_timeout_ms() const {
  if (!stale_) return -1;
  const std::int64_t due =
      std::min(last_change_ms_ + kStateQuietMs, stale_since_ms_ + kStateMaxDelayMs);
  return static_cast<int>(std::clamp<std::int64_t>(due - now_ms(), 0, kStateMaxDelayMs));
}

void Service::write_state_if_due() {
  if (!stale_ || state_timeout_ms() > 0) return;
  stale_ = false;
  // What the write has to say (it failed) goes to openvpn's log with the next reply.
  publish(std::exchange(stale_event_, std::nullopt), pending_);
}

Result<std::string> Service::dispatch(const Request& request, Warnings& warnings) {
  // One overload of on() per request type: a new type nobody handles does not compile.
  return std::visit([&](const auto& req) { return on(req, warnings); }, request);
}

Reply Service::teardown(bool clean) {
  Warnings warnings;
  std::string message = "removed what vpnns added";
  if (killswitch_) {
    // First: with a kill switch held, nothing leaks while the rest is taken down.
    message = join(message, killswitch_->finish(clean, warnings));
    if (!clean) std::fprintf(stderr, "vpnns-helper: %s\n", message.c_str());
    killswitch_.reset();
  }
  if (updown_) updown_->remove();
  if (tunnel_) tunnel_->teardown(warnings);
  if (seal_) {
    if (Status s = seal_->remove(); !s) warnings.push_back(s.error().text());
  }
  if (client_sets_) {
    if (Status s = client_sets_->remove_own(); !s) warnings.push_back(s.error().text());
  }
  if (state_file_) {
    state_file_->remove();
    state_file_.reset();
  }
  stale_ = false;

  return Reply{Code::kOk, std::move(message), std::move(warnings)};
}

std::vector<int> Service::watched_fds() const {
  std::vector<int> fds;
  if (seal_) fds = {seal_->monitor_fd(), seal_->timer_fd()};
  if (updown_ && updown_->fd() >= 0) fds.push_back(updown_->fd());
  return fds;
}

void Service::serve_updown() {
  auto conn = updown_->accept();
  if (!conn) return;
  // The command sends at once; a caller that does not is not waited for long. The request is
  // read before any refusal, so the refusal reaches the caller (a socket closed with unread data
  // resets the connection instead).
  auto frame = recv_frame(conn->get(), 2000);
  if (!frame) return;
  Reply reply;
  if (Status caller = updown_->check_caller(conn->get()); !caller) {
    // Said to the caller; openvpn's log hears of it with the next reply to openvpn.
    pending_.push_back(caller.error().text());
    reply = Reply::from(caller);
  } else if (auto request = decode_request(*frame); !request) {
    reply = Reply::from(request.status());
  } else if (!std::holds_alternative<DnsUpdownRequest>(*request)) {
    reply =
        Reply::from(Error(Code::kPermissionDenied, std::string(request_name(*request)) +
                                                       " is not taken on the dns-updown socket"));
  } else {
    reply = handle(*request, false);
  }
  (void)send_frame(conn->get(), encode_reply(reply));
}

void Service::on_readable(int fd) {
  if (updown_ && fd == updown_->fd()) {
    serve_updown();
    return;
  }
  if (!seal_) return;
  if (fd == seal_->monitor_fd()) {
    seal_->on_monitor(pending_);
    if (killswitch_) {
      if (Status s = killswitch_->ensure(pending_); !s) {
        pending_.push_back("the kill switch could not be repaired: " + s.error().text());
      }
    }
  }
  if (fd == seal_->timer_fd()) {
    seal_->on_timer(pending_);
    if (killswitch_) {
      // openvpn's uid, once learned; from then on root's new sockets are not openvpn's.
      if (auto uid = effective_uid_of(published_.openvpn_pid); uid && *uid != 0) {
        killswitch_->privileges_dropped();
        killswitch_follow(pending_);
      }
    }
  }
  mark_stale(std::nullopt);  // written only if the seal changed (openvpn's uid learned)
}

}  // namespace vpnns
