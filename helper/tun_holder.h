// SPDX-License-Identifier: GPL-2.0-or-later
// TunHolder: at every UP, proof that openvpn itself holds the tun device the tunnel is about to
// move or configure.
//
// Why. After a DOWN, a compromised openvpn could send UP with the pinned name while a device of
// that name that is not its own waits in its namespace — another openvpn's fresh tun0, or a
// persistent tun made with `ip tuntap add` — and the helper would move that into the tunnel's
// namespace. The name proves nothing; holding the device does.
//
// The evidence. With each UP the plugin, running inside openvpn, passes its own descriptors that
// are attached to the device (common/tun_fd.h) over the socketpair (SCM_RIGHTS: a process can
// pass only descriptors it holds, and only openvpn holds the plugin's end). For each one the
// helper asks the kernel: is it /dev/net/tun (10:200), which device is it attached to
// (TUNGETIFF: the name), and in which network namespace does that device live now
// (TUNGETDEVNETNS: compared by nsfs inode with the namespace the tunnel expects — openvpn's
// before the move, the tunnel's after it). A non-multiqueue tun takes one descriptor, so a device
// another process holds cannot be attached to by openvpn; a persistent device nobody holds is
// attached to nobody. Either way UP is refused with a reason, before anything changes.
//
// Why not /proc/<openvpn>/fd and fdinfo's `iff:` line (which this kernel shows): reading
// another process's descriptors is a ptrace-mode access check. The helper keeps CAP_NET_ADMIN
// alone, so it fails for a root openvpn (whose capabilities are not a subset of the helper's) and
// for an openvpn that has dropped to `user` (another uid, not dumpable) unless the helper kept
// CAP_SYS_PTRACE; and a Landlock-confined process may not ptrace-access a process outside its
// domain at all. Passed descriptors need no privilege, work for a chrooted openvpn (the plugin
// needs no /proc) and tie the device to the process that sent them.
//
// What remains: openvpn keeps CAP_NET_ADMIN on Debian (OPENVPN-FACTS.md 0.3), so it can itself
// attach to a persistent tun nobody holds, or rename devices in its namespace between this check
// and the move. The move goes by ifindex, and after it the helper checks again that the device
// openvpn holds is now the one in the tunnel's namespace; if not, UP fails (fatal to openvpn).
//
// The descriptors are closed when the UP is answered: a helper that kept them would keep the
// device alive after openvpn closed it.
//
// Needs CAP_NET_ADMIN (TUNGETDEVNETNS) and the two ioctls in the seccomp list (confine.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "state/netns_marker.h"  // NetnsId

namespace vpnns {

// The namespace `nsfd` (an nsfs descriptor) is, by identity (NetnsId: its nsfs inode).
Result<NetnsId> netns_id_of(int nsfd);

// Where UP expects openvpn's device.
enum class TunWhere : std::uint8_t { kOpenvpn, kTunnel };

// The tunnel's view of the evidence (an interface, so unit tests over a fake kernel can stand in).
class TunHolder {
 public:
  virtual ~TunHolder() = default;
  // The descriptors passed with the current UP (replacing any earlier ones).
  virtual void offer(std::vector<UniqueFd> fds) = 0;
  // Closes them (the UP is answered).
  virtual void forget() = 0;
  // OK if one of them is attached to tun device `dev` in `where`; otherwise a refusal that says
  // what was found.
  virtual Status check(const std::string& dev, TunWhere where) const = 0;
};

// The real kernel: `openvpn_ns` is openvpn's namespace (the helper's own), `tunnel_ns` the
// tunnel's; `tunnel_name` names it in messages.
class KernelTunHolder : public TunHolder {
 public:
  KernelTunHolder(NetnsId openvpn_ns, NetnsId tunnel_ns, std::string tunnel_name)
      : openvpn_ns_(openvpn_ns), tunnel_ns_(tunnel_ns), tunnel_name_(std::move(tunnel_name)) {}
  void offer(std::vector<UniqueFd> fds) override { fds_ = std::move(fds); }
  void forget() override { fds_.clear(); }
  Status check(const std::string& dev, TunWhere where) const override;

 private:
  NetnsId openvpn_ns_;
  NetnsId tunnel_ns_;
  std::string tunnel_name_;
  std::vector<UniqueFd> fds_;
};

}  // namespace vpnns
