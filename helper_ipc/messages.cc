// SPDX-License-Identifier: GPL-2.0-or-later
// What helper_ipc/messages.h declares beyond the plain types: the event names and the Reply of a
// Status. Kept apart from wire.cc, which is the encoding alone.
#include "helper_ipc/messages.h"

namespace vpnns {

const char* request_name(const Request& request) {
  struct Visitor {
    const char* operator()(const UpRequest&) const { return "UP"; }
    const char* operator()(const RouteUpRequest&) const { return "ROUTE_UP"; }
    const char* operator()(const RoutePredownRequest&) const { return "ROUTE_PREDOWN"; }
    const char* operator()(const DownRequest&) const { return "DOWN"; }
    const char* operator()(const IpChangeRequest&) const { return "IPCHANGE"; }
    const char* operator()(const CloseRequest&) const { return "CLOSE"; }
    const char* operator()(const ClientConnectRequest&) const { return "CLIENT_CONNECT"; }
    const char* operator()(const ClientDisconnectRequest&) const { return "CLIENT_DISCONNECT"; }
    const char* operator()(const LearnAddressRequest&) const { return "LEARN_ADDRESS"; }
    const char* operator()(const DnsUpdownRequest& r) const { return r.up ? "dns-up" : "dns-down"; }
  };
  return std::visit(Visitor{}, request);
}

Reply Reply::from(const Status& status, std::string ok_summary) {
  if (status.ok()) return Reply{Code::kOk, std::move(ok_summary), {}};
  return Reply{status.error().code(), status.error().text(), {}};
}

}  // namespace vpnns
