// SPDX-License-Identifier: GPL-2.0-or-later
// Strings made safe for a terminal (ctl/printable.h).
#include "ctl/printable.h"

#include <gtest/gtest.h>

namespace vpnns::ctl {
namespace {

TEST(StatusText, PrintableKeepsControlsFromTheTerminal) {
  EXPECT_EQ(printable("a\x1b[2Jb\x7f\n"), "a?[2Jb??");
  EXPECT_EQ(printable("csi\xc2\x9b"
                      "31m"),
            "csi?31m");                                                  // C1 CSI
  EXPECT_EQ(printable("\xff\xc3"), "??");                                // not UTF-8
  EXPECT_EQ(printable("caf\xc3\xa9 \xc2\xa0"), "caf\xc3\xa9 \xc2\xa0");  // é and NBSP pass
}

}  // namespace
}  // namespace vpnns::ctl
