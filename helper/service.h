// Service: the helper's request dispatcher. One request in, one reply out.
//
// It owns every mode's state — the namespaced tunnel (netns=), the seal (seal=yes) and the
// server's client sets (client-set=, client-classes=) — and hands each decoded request to the
// modes it concerns. It never throws and never exits on bad
// input: a refusal is a Reply with a reason. The configuration it was built with is fixed for
// its whole life.
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
#include "helper/client_sets.h"
#include "helper/seal.h"
#include "helper/tunnel.h"

namespace vpnns {

class Service {
 public:
  // Prepares everything the configuration asks for (namespace, sockets, the seal's checks). A
  // failure here is a start-up failure: openvpn stops with its message. `openvpn_pid` is the
  // helper's parent, as the kernel reports it.
  static Result<Service> start(const Config& config, pid_t openvpn_pid);

  Reply handle(const Request& request);

  // Removes what vpnns added (close, EOF, SIGTERM). Returns problems as warnings.
  Reply teardown();

  // Descriptors the main loop must poll for background work, and the work itself.
  [[nodiscard]] std::vector<int> watched_fds() const;
  void on_readable(int fd);

 private:
  explicit Service(Config config) : config_(std::move(config)) {}

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
};

}  // namespace vpnns
