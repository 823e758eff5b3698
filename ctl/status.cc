// vpnnsctl status: not built yet.
#include <cstdio>

#include "ctl/commands.h"

namespace vpnns::ctl {

int status_command(std::span<char* const> /*args*/) {
  std::fputs("vpnnsctl status: not implemented yet\n", stderr);
  return 1;
}

}  // namespace vpnns::ctl
