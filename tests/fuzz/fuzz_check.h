// SPDX-License-Identifier: GPL-2.0-or-later
// FUZZ_CHECK: the fuzz targets' assertion. A property that does not hold is a finding like a
// crash: it prints the condition and where, and aborts, so libFuzzer saves the input that broke
// it (crash-<sha1>) and exits non-zero. Not assert(): it must hold in every build type.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace vpnns::fuzz {

[[noreturn]] inline void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace vpnns::fuzz

#define FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::vpnns::fuzz::check_failed(#condition, __FILE__, __LINE__))
