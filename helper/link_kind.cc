// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/link_kind.h"

namespace vpnns {
namespace {

Error refuse(std::string message) { return Error(Code::kFailedPrecondition, std::move(message)); }

}  // namespace

Status check_link_kind(const std::string& dev, std::string_view kind, DeviceUse use,
                       bool seal_mark) {
  const bool dco = kind == kKindOvpn || kind == kKindOvpnDco;
  const std::string what =
      "device " + dev + " is an " + std::string(kind) + " (data channel offload) device";
  if (use == DeviceUse::kNetns) {
    if (dco) {
      return refuse(what +
                    ", which cannot work from another network namespace: add 'disable-dco' to "
                    "the openvpn configuration");
    }
    if (kind != kKindTun) {
      return refuse("device " + dev + " is a '" + (kind.empty() ? "plain" : std::string(kind)) +
                    "' device, not a tun device; vpnns only moves openvpn's own tun device");
    }
    return ok_status();
  }
  // Seal mode: only DCO concerns the seal (link_kind.h says why).
  if (kind == kKindOvpnDco) {
    return refuse(what +
                  ": OpenVPN 2.6's ovpn-dco module sends the VPN's data packets itself, "
                  "without openvpn's socket and without its mark, so the seal cannot tell them "
                  "from a leak and would drop them: add 'disable-dco' to the openvpn "
                  "configuration (OpenVPN 2.7 with the kernel's ovpn driver works with the "
                  "seal, given 'mark N' and seal-mark=N)");
  }
  if (kind == kKindOvpn && !seal_mark) {
    return refuse(what +
                  ": the kernel sends the VPN's data packets itself, without openvpn's socket, "
                  "so the seal cannot accept them by owner and would drop them; it can by mark: "
                  "add 'mark N' to the openvpn configuration and seal-mark=N to the vpnns "
                  "plugin line (the same N), or add 'disable-dco' to the openvpn configuration");
  }
  return ok_status();
}

}  // namespace vpnns
