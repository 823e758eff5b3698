// vpnnsctl reset: not built yet.
#include <cstdio>

#include "ctl/commands.h"

namespace vpnns::ctl {

int reset_command(std::span<char* const> /*args*/) {
  std::fputs("vpnnsctl reset: not implemented yet\n", stderr);
  return 1;
}

}  // namespace vpnns::ctl
