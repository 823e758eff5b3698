// SPDX-License-Identifier: GPL-2.0-or-later
// The DCO decision on link kinds (helper/link_kind.h), in netns and seal mode, with and without
// seal-mark. This machine's kernel has no ovpn or ovpn-dco driver, so these strings are all the
// testing the DCO kinds get; the tun, tap and veth cases also run against the kernel in
// tests/priv/tunnel_test.cc and tests/priv/seal_test.cc.
#include "helper/link_kind.h"

#include <gtest/gtest.h>

#include <string>

namespace vpnns {
namespace {

void expect_ok(const Status& s) { EXPECT_TRUE(s.ok()) << s.error().message(); }

// Refused as a failed precondition, naming the device and every one of `words`.
void expect_refused(const Status& s, std::initializer_list<const char*> words) {
  ASSERT_FALSE(s.ok()) << "accepted";
  EXPECT_EQ(s.error().code(), Code::kFailedPrecondition);
  const std::string& m = s.error().message();
  EXPECT_NE(m.find("device tun0 "), std::string::npos) << m;
  for (const char* w : words) EXPECT_NE(m.find(w), std::string::npos) << w << " in: " << m;
}

// Not naming `word`.
void expect_silent_on(const Status& s, const char* word) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message().find(word), std::string::npos) << s.error().message();
}

Status netns(std::string_view kind) {
  return check_link_kind("tun0", kind, DeviceUse::kNetns, false);
}
Status seal(std::string_view kind, bool mark) {
  return check_link_kind("tun0", kind, DeviceUse::kSeal, mark);
}

TEST(LinkKindNetns, AcceptsATun) { expect_ok(netns("tun")); }

TEST(LinkKindNetns, RefusesBothDcoKindsNamingDisableDco) {
  for (const char* kind : {"ovpn", "ovpn-dco"}) {
    SCOPED_TRACE(kind);
    const Status s = netns(kind);
    expect_refused(
        s, {"is an ", kind, "(data channel offload)", "cannot work from another network namespace",
            "add 'disable-dco' to the openvpn configuration"});
    // The fix in netns mode is disable-dco, not a mark.
    expect_silent_on(s, "seal-mark");
  }
  // The 2.6 text, unchanged.
  EXPECT_EQ(netns("ovpn-dco").error().message(),
            "device tun0 is an ovpn-dco (data channel offload) device, which cannot work from "
            "another network namespace: add 'disable-dco' to the openvpn configuration");
}

TEST(LinkKindNetns, SealMarkChangesNothing) {
  // check_link_kind ignores seal-mark in netns mode: a DCO device cannot leave its namespace.
  for (const char* kind : {"ovpn", "ovpn-dco"}) {
    EXPECT_FALSE(check_link_kind("tun0", kind, DeviceUse::kNetns, true).ok()) << kind;
  }
  expect_ok(check_link_kind("tun0", "tun", DeviceUse::kNetns, true));
}

TEST(LinkKindNetns, RefusesEverythingButATun) {
  for (const char* kind :
       {"veth", "tap", "dummy", "wireguard", "bridge", "ovpn2", "OVPN", "tun "}) {
    SCOPED_TRACE(kind);
    const Status s = netns(kind);
    expect_refused(s, {"is a '", kind, "' device, not a tun device"});
    expect_silent_on(s, "disable-dco");
  }
  // No IFLA_INFO_KIND at all (lo, a physical NIC).
  expect_refused(netns(""), {"is a 'plain' device, not a tun device"});
}

TEST(LinkKindSeal, AcceptsEverythingThatIsNotDco) {
  // openvpn's own sockets carry the traffic: the seal's owner (or mark) rule sees them.
  for (const char* kind : {"tun", "", "veth", "tap", "dummy", "ovpn2", "OVPN"}) {
    SCOPED_TRACE(kind);
    expect_ok(seal(kind, false));
    expect_ok(seal(kind, true));
  }
}

TEST(LinkKindSeal, InKernelOvpnNeedsSealMark) {
  const Status s = seal("ovpn", false);
  expect_refused(s, {"is an ovpn (data channel offload) device", "without openvpn's socket",
                     "add 'mark N' to the openvpn configuration",
                     "seal-mark=N to the vpnns plugin line", "disable-dco"});
  // The kernel's ovpn driver copies openvpn's socket mark to the packets: `meta mark N` sees it.
  expect_ok(seal("ovpn", true));
}

TEST(LinkKindSeal, OutOfTreeOvpnDcoIsRefusedEvenWithSealMark) {
  // 2.6's ovpn-dco leaves skb->mark alone on UDP: a mark rule cannot accept its packets either.
  for (bool mark : {false, true}) {
    SCOPED_TRACE(mark);
    const Status s = seal("ovpn-dco", mark);
    expect_refused(s,
                   {"is an ovpn-dco (data channel offload) device", "without its mark",
                    "add 'disable-dco' to the openvpn configuration", "'mark N'", "seal-mark=N"});
  }
}

TEST(LinkKindSeal, TheDeviceNameIsQuoted) {
  const Status s = check_link_kind("vpn-work", "ovpn", DeviceUse::kSeal, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message().rfind("device vpn-work is an ovpn ", 0), 0u) << s.error().message();
}

}  // namespace
}  // namespace vpnns
