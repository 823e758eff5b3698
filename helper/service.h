// SPDX-License-Identifier: GPL-2.0-or-later
// Service: the helper's request dispatcher. One request in, one reply out.
//
// It owns every mode's state — the namespaced tunnel (netns=), the seal (seal=yes) and the
// server's client sets (client-set=, client-classes=) — and hands each decoded request to the
// modes it concerns: std::visit over one on() per request type, so a request type nobody handles
// does not compile. Each mode validates, plans and applies (mode.h); when a request concerns
// two modes (UP: the seal and the tunnel), both validate before either changes anything. It
// never throws and never exits on bad input: a refusal is a Reply with a reason
// (Reply::from). The configuration it was built with is fixed for its whole life.
//
// After start-up it writes the state file (state_file.h) for `vpnnsctl status`; teardown
// removes it. Requests and background work that change something only mark it stale: the main
// loop rewrites it once no request has come for kStateQuietMs, or at the latest kStateMaxDelayMs
// after it went stale. The reply to openvpn never waits for the file, and a burst of events (a
// server's learn-address storm after a restart) costs one write, not one per event; `vpnnsctl
// status` lags by a few milliseconds at most. The state file is a display: a failure to write it
// is one warning in openvpn's log (and another only after it worked again), never a failed event.
//
// Some work happens between requests (the seal's repair after `nft flush ruleset`, its watch for
// openvpn's privilege drop); what that work has to say is queued and sent as warnings with the
// next reply, so it reaches openvpn's log.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "helper/client_sets.h"
#include "helper/killswitch.h"
#include "helper/seal.h"
#include "helper/state_file.h"
#include "helper/tunnel.h"
#include "helper/updown_socket.h"
#include "helper_ipc/messages.h"
#include "state/state.h"

namespace vpnns {

inline constexpr int kStateQuietMs = 10;
inline constexpr int kStateMaxDelayMs = 250;

class Service {
 public:
  // Prepares everything the configuration asks for (namespace, sockets, the seal's checks) and
  // opens the state file in `state_dir`. A failure here is a start-up failure: openvpn stops
  // with its message (but a state file that cannot be opened is only a warning). `openvpn_pid`
  // is the helper's parent, as the kernel reports it.
  // `updown_dir` holds the dns-updown socket (netns mode; updown_socket.h).
  // `remotes`: the hosts openvpn's configuration connects to (the seal's evidence,
  // peer_evidence.h), as the plugin named them.
  static Result<Service> start(const Config& config, pid_t openvpn_pid,
                               const std::string& state_dir = kStateDir,
                               const std::string& updown_dir = kDnsUpdownDir,
                               const std::vector<std::string>& remotes = {});

  // `with_pending`: the reply carries the warnings queued between requests (replies to openvpn
  // do; those to vpnns-dns-updown leave them for the next one to openvpn).
  Reply handle(const Request& request, bool with_pending = true);
  // A request from openvpn with the descriptors it passed: only UP carries any (openvpn's tun
  // descriptors, tunnel.h's evidence; closed once UP is answered); any other request that
  // carries one is refused.
  Reply handle(const Request& request, std::vector<UniqueFd> fds);

  // Removes what vpnns added (close, EOF, SIGTERM). Returns problems as warnings. `clean`:
  // openvpn closed the plugin (CLOSE); only then is a killswitch=yes lifted (killswitch.h).
  Reply teardown(bool clean = false);

  // Descriptors the main loop must poll for background work, and the work itself.
  [[nodiscard]] std::vector<int> watched_fds() const;
  void on_readable(int fd);

  // How long the main loop may wait before write_state_if_due() must run: -1 (no stale state),
  // 0 (due now) or milliseconds.
  [[nodiscard]] int state_timeout_ms() const;
  // Rewrites the state file if it is stale and due (quiet or overdue).
  void write_state_if_due();

 private:
  explicit Service(Config config) : config_(std::move(config)) {}

  // The state file's document for what the service holds now.
  [[nodiscard]] InstanceState snapshot() const;
  // Writes the state file if anything changed since the last write (or `event` is set);
  // a failure becomes a warning in `warnings`, once.
  void publish(std::optional<StateEvent> event, Warnings& warnings);
  // Marks the state file stale (to be written by write_state_if_due); `event`, if set, becomes
  // its last event.
  void mark_stale(std::optional<StateEvent> event);

  // Hands the request to the modes it concerns: std::visit over one on() per request type.
  // Each on() lets every mode validate before any applies (mode.h).
  Result<std::string> dispatch(const Request& request, Warnings& warnings);
  Result<std::string> on(const UpRequest& req, Warnings& warnings);
  Result<std::string> on(const RouteUpRequest& req, Warnings& warnings);
  Result<std::string> on(const RoutePredownRequest& req, Warnings& warnings);
  Result<std::string> on(const DownRequest& req, Warnings& warnings);
  Result<std::string> on(const IpChangeRequest& req, Warnings& warnings);
  Result<std::string> on(const DnsUpdownRequest& req, Warnings& warnings);
  Result<std::string> on(const CloseRequest& req, Warnings& warnings);
  Result<std::string> on(const ClientConnectRequest& req, Warnings& warnings);
  Result<std::string> on(const ClientDisconnectRequest& req, Warnings& warnings);
  Result<std::string> on(const LearnAddressRequest& req, Warnings& warnings);
  // One dns-up/dns-down from vpnns-dns-updown on the updown socket, answered there.
  void serve_updown();
  // The kill switch follows the seal's data (server, owners); a failure is a warning: the
  // kill switch then blocks more, never less.
  void killswitch_follow(Warnings& warnings);

  Config config_;
  std::optional<NetnsTunnel> tunnel_;
  std::optional<Seal> seal_;
  std::optional<ClientSets> client_sets_;
  std::optional<KillSwitch> killswitch_;  // installed last at start, after the seal
  std::optional<UpdownSocket> updown_;    // netns mode: openvpn 2.7's DNS (updown_socket.h)
  Warnings pending_;

  std::optional<StateFile> state_file_;
  InstanceState published_;  // what the state file holds (with its identity fields)
  bool state_failing_ = false;
  // Stale state: the last event not yet written, since when it is stale, the last change.
  bool stale_ = false;
  std::optional<StateEvent> stale_event_;
  std::int64_t stale_since_ms_ = 0;
  std::int64_t last_change_ms_ = 0;
};

}  // namespace vpnns
