// Service: the helper's request dispatcher. One request in, one reply out.
//
// It owns every mode's state — the namespaced tunnel (netns=), the seal (seal=yes) and the
// server's client sets (client-set=, client-classes=) — and hands each decoded request to the
// modes it concerns. It never throws and never exits on bad
// input: a refusal is a Reply with a reason. The configuration it was built with is fixed for
// its whole life.
//
// After start-up and after every request and every piece of background work that changed
// something, it rewrites the state file (state_file.h) for `vpnnsctl status`; teardown removes
// it. The state file is a display: a failure to write it is one warning in openvpn's log (and
// another only after it worked again), never a failed event.
//
// Some work happens between requests (the seal's repair after `nft flush ruleset`, its watch for
// openvpn's privilege drop); what that work has to say is queued and sent as warnings with the
// next reply, so it reaches openvpn's log.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/messages.h"
#include "common/state.h"
#include "helper/client_sets.h"
#include "helper/seal.h"
#include "helper/state_file.h"
#include "helper/tunnel.h"

namespace vpnns {

class Service {
 public:
  // Prepares everything the configuration asks for (namespace, sockets, the seal's checks) and
  // opens the state file in `state_dir`. A failure here is a start-up failure: openvpn stops
  // with its message (but a state file that cannot be opened is only a warning). `openvpn_pid`
  // is the helper's parent, as the kernel reports it.
  static Result<Service> start(const Config& config, pid_t openvpn_pid,
                               const std::string& state_dir = kStateDir);

  Reply handle(const Request& request);

  // Removes what vpnns added (close, EOF, SIGTERM). Returns problems as warnings.
  Reply teardown();

  // Descriptors the main loop must poll for background work, and the work itself.
  [[nodiscard]] std::vector<int> watched_fds() const;
  void on_readable(int fd);

 private:
  explicit Service(Config config) : config_(std::move(config)) {}

  // The state file's document for what the service holds now.
  [[nodiscard]] InstanceState snapshot() const;
  // Writes the state file if anything changed since the last write (or `event` is set);
  // a failure becomes a warning in `warnings`, once.
  void publish(std::optional<StateEvent> event, Warnings& warnings);

  Result<std::string> dispatch(const Request& request, Warnings& warnings);
  Result<std::string> up(const UpRequest& req, Warnings& warnings);
  Result<std::string> route_up(const RouteUpRequest& req, Warnings& warnings);
  Result<std::string> down(const DownRequest& req, Warnings& warnings);
  Result<std::string> ipchange(const IpChangeRequest& req, Warnings& warnings);

  Config config_;
  std::optional<NetnsTunnel> tunnel_;
  std::optional<Seal> seal_;
  std::optional<ClientSets> client_sets_;
  Warnings pending_;

  std::optional<StateFile> state_file_;
  InstanceState published_;  // what the state file holds (with its identity fields)
  bool state_failing_ = false;
};

}  // namespace vpnns
