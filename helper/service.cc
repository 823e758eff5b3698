#include "helper/service.h"

namespace vpnns {
namespace {

Reply reply_of(Result<std::string> result, Warnings warnings) {
  Reply r = result ? Reply{Code::kOk, std::move(*result), {}}
                   : Reply{result.error().code(), result.error().text(), {}};
  r.warnings = std::move(warnings);
  return r;
}

}  // namespace

Result<Service> Service::start(const Config& config) {
  Service service(config);
  if (config.netns_mode()) {
    VPNNS_ASSIGN_OR_RETURN(auto tunnel, NetnsTunnel::open(config));
    service.tunnel_.emplace(std::move(tunnel));
  }
  return service;
}

Reply Service::handle(const Request& request) {
  Warnings warnings;
  if (std::holds_alternative<CloseRequest>(request)) return teardown();
  if (std::holds_alternative<IpChangeRequest>(request)) {
    return Reply{Code::kOk, {}, {}};  // nothing to follow without a seal
  }
  if (!tunnel_) {
    return Reply{Code::kFailedPrecondition,
                 std::string(request_name(request)) + " was not expected: netns mode is off",
                 {}};
  }
  NetnsTunnel& t = *tunnel_;
  if (const auto* up = std::get_if<UpRequest>(&request))
    return reply_of(t.up(*up, warnings), warnings);
  if (const auto* ru = std::get_if<RouteUpRequest>(&request)) {
    return reply_of(t.route_up(*ru, warnings), warnings);
  }
  if (const auto* pd = std::get_if<RoutePredownRequest>(&request)) {
    return reply_of(t.route_predown(*pd), warnings);
  }
  if (const auto* down = std::get_if<DownRequest>(&request)) {
    return reply_of(t.down(*down, warnings), warnings);
  }
  return Reply{Code::kInternal, "unhandled request", {}};
}

Reply Service::teardown() {
  Warnings warnings;
  if (tunnel_) tunnel_->teardown(warnings);
  return Reply{Code::kOk, "removed what vpnns added", std::move(warnings)};
}

}  // namespace vpnns
