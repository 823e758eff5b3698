// SPDX-License-Identifier: GPL-2.0-or-later
// Moving a process into a transient scope unit under a slice, through systemd's D-Bus API
// (sd-bus, from libsystemd): what `systemd-run --scope --slice=SLICE` does for itself, and what
// logind does for a login session's processes.
//
// Used by vpnns-execd's command child (user_session.h), as root, for its own pid before it drops
// to the user: StartTransientUnit(NAME, "fail", [Description, Slice, PIDs=[pid], SendSIGHUP,
// CollectMode=inactive-or-failed]) on org.freedesktop.systemd1, then waiting for the job's
// JobRemoved signal (the match is added before the call, so the signal cannot be missed) and its
// result "done". Only then is the process in the scope's cgroup; whatever it forks afterwards is
// born there. A scope that cannot be made is an error: the caller refuses the command rather
// than run it outside the user's slice.
//
// The system bus is reached at its fixed address, not through $DBUS_SYSTEM_BUS_ADDRESS (the
// service's environment decides nothing here). It is a pathname socket, so this works from any
// network namespace. Trusts systemd (PID 1) and the bus.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/error.h"

namespace vpnns {

inline constexpr const char* kSystemBusAddress = "unix:path=/run/dbus/system_bus_socket";

struct ScopeRequest {
  std::string unit;         // e.g. "vpnns-exec-work-1234.scope"
  std::string slice;        // e.g. "user-1000.slice"
  std::string description;  // shown by systemctl status
  pid_t pid = 0;
  int timeout_ms = 15'000;  // for the call and the job together
};

// Whether systemd runs this machine (sd_booted(): /run/systemd/system exists).
bool systemd_is_init();

Status start_scope(const ScopeRequest& request);

}  // namespace vpnns
