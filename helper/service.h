// Service: the helper's request dispatcher. One request in, one reply out.
//
// It owns every mode's state (today: the namespaced tunnel) and routes each decoded request to
// it. It never throws and never exits on bad input: a refusal is a Reply with a reason. The
// configuration it was built with is fixed for its whole life.
#pragma once

#include <optional>

#include "common/config.h"
#include "common/messages.h"
#include "helper/tunnel.h"

namespace vpnns {

class Service {
 public:
  // Prepares everything the configuration asks for (namespace, sockets). A failure here is a
  // start-up failure: openvpn stops with its message.
  static Result<Service> start(const Config& config);

  Reply handle(const Request& request);

  // Removes what vpnns added (close, EOF, SIGTERM). Returns problems as warnings.
  Reply teardown();

 private:
  explicit Service(Config config) : config_(std::move(config)) {}

  Config config_;
  std::optional<NetnsTunnel> tunnel_;
};

}  // namespace vpnns
