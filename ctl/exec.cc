// vpnnsctl exec: not built yet.
#include <cstdio>

#include "ctl/commands.h"

namespace vpnns::ctl {

int exec_command(std::span<char* const> /*args*/) {
  std::fputs("vpnnsctl exec: not implemented yet\n", stderr);
  return 1;
}

}  // namespace vpnns::ctl
