// SPDX-License-Identifier: GPL-2.0-or-later
// Files that decide what a root process does must be files only root could have written.
//
// The helper executable (plugin: helper=) and the client classes file (helper:
// client-classes=) are trusted configuration: whoever can replace them controls a root process.
// open_trusted_file() accepts an absolute path only if the file is regular, owned by root and
// not writable by group or others, and every directory above it belongs to root and is not
// writable by group or others (unless sticky, like /tmp: there only root may rename root's
// files). It returns a descriptor of the file it checked, so the caller uses that file and not
// whatever the path names a moment later.
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace vpnns {

enum class Access { kRead, kExecute };

// `what` names the argument in messages, e.g. "helper" → "helper=/x: owned by uid 1000 ...".
Result<UniqueFd> open_trusted_file(const std::string& path, const std::string& what, Access access);

}  // namespace vpnns
