// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/tun_holder.h"

#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>

#include "common/tun_fd.h"

namespace vpnns {

Result<NetnsId> netns_id_of(int nsfd) {
  struct stat st = {};
  if (::fstat(nsfd, &st) < 0) return sys_error("fstat on a network namespace", errno);
  return NetnsId{st.st_dev, st.st_ino};
}

Status KernelTunHolder::check(const std::string& dev, TunWhere where) const {
  const NetnsId& want = where == TunWhere::kOpenvpn ? openvpn_ns_ : tunnel_ns_;
  const std::string where_text = where == TunWhere::kOpenvpn
                                     ? std::string("openvpn's network namespace")
                                     : "network namespace '" + tunnel_name_ + "'";
  // What was seen, for the refusal: the reader learns why the evidence did not count.
  std::string seen;
  auto note = [&seen](const std::string& s) { seen += (seen.empty() ? "" : "; ") + s; };
  for (const UniqueFd& fd : fds_) {
    const auto tun = tun_attachment(fd.get());
    if (!tun) {
      note("a descriptor that is not attached to a tun device");
      continue;
    }
    if (tun->name != dev) {
      note("a tun descriptor attached to '" + tun->name + "'");
      continue;
    }
    // The namespace the device lives in now (not the one the descriptor was opened in).
    UniqueFd ns(::ioctl(fd.get(), TUNGETDEVNETNS));
    if (!ns) return sys_error("TUNGETDEVNETNS on openvpn's descriptor of " + dev, errno);
    VPNNS_ASSIGN_OR_RETURN(NetnsId id, netns_id_of(ns.get()));
    if (id == want) return ok_status();
    note("a descriptor attached to a '" + dev + "' in another network namespace");
  }
  return Error(
      Code::kPermissionDenied,
      "openvpn does not hold tun device " + dev + " in " + where_text + " (" +
          (fds_.empty() ? std::string("it passed no tun descriptor") : "it passed " + seen) +
          "): vpnns moves and configures only the tun device openvpn itself opened, "
          "never another process's or a persistent one nobody holds");
}

}  // namespace vpnns
