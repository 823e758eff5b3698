// SPDX-License-Identifier: GPL-2.0-or-later
// tun descriptors: which tun device an open /dev/net/tun descriptor is attached to, and the
// descriptors of the calling process that are attached to a given device.
//
// Why. The helper moves and configures only the tun device that openvpn itself holds (helper/
// tun_holder.h): at every UP the plugin, running inside openvpn, hands the helper its own
// descriptors attached to the device (SCM_RIGHTS), and the helper asks the kernel about each.
// The plugin lists its descriptors in /proc/self/fd, or, where there is no /proc (a chrooted
// openvpn), tries every descriptor number below its RLIMIT_NOFILE (capped); it asks each one that
// is the tun character device (10:200) with TUNGETIFF. No privilege is needed for either.
//
// What it trusts: nothing it is handed. A descriptor that is not /dev/net/tun, or not attached
// to a device (TUNGETIFF fails with EBADFD), is "no tun" — never an error that could be mistaken
// for evidence.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vpnns {

// The device a tun descriptor is attached to, as TUNGETIFF reports it.
struct TunAttachment {
  std::string name;    // the device's name in whatever namespace it is in now
  unsigned flags = 0;  // IFF_TUN or IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE ...
};

// nullopt: `fd` is not an open /dev/net/tun descriptor attached to a device.
std::optional<TunAttachment> tun_attachment(int fd);

// Descriptors of this process attached to tun device `dev` (not duplicated: the caller passes
// them on at once, while it still holds them).
std::vector<int> own_tun_fds(const std::string& dev);

}  // namespace vpnns
