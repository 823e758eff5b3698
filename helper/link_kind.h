// SPDX-License-Identifier: GPL-2.0-or-later
// openvpn's device at UP: deciding from its rtnetlink link kind whether vpnns can work with it
// (finding it is kernel/link.h's find_link, included here for the callers).
//
// Data channel offload (DCO) hands the VPN's data channel to the kernel. Its device is not a
// tun: OpenVPN 2.6's out-of-tree module makes one of link kind "ovpn-dco"; OpenVPN 2.7 uses the
// in-kernel driver of Linux 6.16 and later, kind "ovpn", and does so by default wherever the
// kernel has it. Both matter to vpnns:
//
//   netns mode  the device is driven by the kernel in openvpn's namespace and cannot work from
//               another one: any DCO kind is refused, naming 'disable-dco'. Anything but a tun
//               (a veth, a plain device) is refused too: vpnns moves only openvpn's own tun.
//   seal mode   with DCO the kernel sends the data packets itself, so they carry no openvpn
//               socket and the seal's owner match (meta skuid) cannot accept them: the seal
//               would drop the data channel. The in-kernel "ovpn" driver copies the socket's
//               mark to them (skb->mark = sk_mark, kernel commit 4c88cfcc6738, in 6.16), which
//               the seal's mark rule (seal-mark=N: `meta mark N`) accepts — so "ovpn" is
//               accepted with seal-mark and refused without it, naming both `mark N` and
//               seal-mark=N. 2.6's "ovpn-dco" module uses the mark only to route its UDP
//               packets and leaves skb->mark alone, so no seal rule can accept them: refused
//               with or without seal-mark, naming 'disable-dco'. Every other kind (tun, tap) is
//               openvpn's own sockets' business and accepted.
//
// A refusal at UP is fatal to openvpn: it fails closed instead of running a tunnel the seal
// silently breaks. The decision is pure (tests/unit/link_kind_test.cc); this machine's kernel has
// no DCO driver, so it is unit-tested on the kind strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "kernel/link.h"  // find_link, the reader; the decision is here

namespace vpnns {

inline constexpr std::string_view kKindTun = "tun";
inline constexpr std::string_view kKindOvpn = "ovpn";         // in-kernel DCO, Linux 6.16+
inline constexpr std::string_view kKindOvpnDco = "ovpn-dco";  // 2.6's out-of-tree DCO module

// Which of vpnns's modes will carry openvpn's device.
enum class DeviceUse : std::uint8_t {
  kNetns,  // moved into the configured namespace
  kSeal,   // left in openvpn's namespace, its server route sealed
};

// Whether vpnns can work with device `dev` of link kind `kind` (IFLA_INFO_KIND; empty for a
// device without one) in `use`; `seal_mark` says whether the plugin line has seal-mark=N.
// Refusals are kFailedPrecondition and name the line to add.
Status check_link_kind(const std::string& dev, std::string_view kind, DeviceUse use,
                       bool seal_mark);

}  // namespace vpnns
