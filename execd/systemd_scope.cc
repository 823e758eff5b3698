// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/systemd_scope.h"

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>
#include <memory>

namespace vpnns {
namespace {

struct BusUnref {
  void operator()(sd_bus* b) const { sd_bus_flush_close_unref(b); }
};
struct MessageUnref {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
struct SlotUnref {
  void operator()(sd_bus_slot* s) const { sd_bus_slot_unref(s); }
};
// sd_bus_error owns strings once set.
struct BusError {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  BusError() = default;
  BusError(const BusError&) = delete;
  BusError& operator=(const BusError&) = delete;
  ~BusError() { sd_bus_error_free(&e); }
};

using Bus = std::unique_ptr<sd_bus, BusUnref>;
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;
using Slot = std::unique_ptr<sd_bus_slot, SlotUnref>;

// sd-bus returns -errno.
Error bus_error(const std::string& what, int r, const sd_bus_error* e = nullptr) {
  std::string text = what;
  if (e != nullptr && sd_bus_error_is_set(e) != 0) {
    text += ": " + std::string(e->name != nullptr ? e->name : "") +
            (e->message != nullptr ? std::string(": ") + e->message : std::string());
  }
  return Error(Code::kSystem, text, -r);
}

std::uint64_t now_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

struct JobWait {
  std::string job;  // object path, from the reply
  bool done = false;
  std::string result;
};

int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  auto* wait = static_cast<JobWait*>(userdata);
  std::uint32_t id = 0;
  const char* path = nullptr;
  const char* unit = nullptr;
  const char* result = nullptr;
  if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0) return 0;
  // Called from sd_bus_process() only, after the reply gave us the job's path: sd_bus_call()
  // queues the signals that arrive before the reply instead of dispatching them.
  if (wait->job == path) {
    wait->done = true;
    wait->result = result;
  }
  return 0;
}

Status append_properties(sd_bus_message* m, const ScopeRequest& r) {
  int e = sd_bus_message_open_container(m, 'a', "(sv)");
  if (e >= 0) e = sd_bus_message_append(m, "(sv)", "Description", "s", r.description.c_str());
  if (e >= 0) e = sd_bus_message_append(m, "(sv)", "Slice", "s", r.slice.c_str());
  if (e >= 0) {
    e = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, static_cast<std::uint32_t>(r.pid));
  }
  // As logind's session scopes: a stop sends SIGHUP too, so that interactive shells (which
  // ignore SIGTERM) end with the user's slice.
  if (e >= 0) e = sd_bus_message_append(m, "(sv)", "SendSIGHUP", "b", 1);
  // A scope that failed (its processes killed) does not linger for `systemctl reset-failed`.
  if (e >= 0) e = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
  if (e >= 0) e = sd_bus_message_close_container(m);
  if (e >= 0) e = sd_bus_message_append(m, "a(sa(sv))", 0);  // no auxiliary units
  if (e < 0) return bus_error("building the StartTransientUnit call", e);
  return ok_status();
}

}  // namespace

bool systemd_is_init() { return sd_booted() > 0; }

Status start_scope(const ScopeRequest& request) {
  const std::string what = "starting " + request.unit + " in " + request.slice;
  const std::uint64_t deadline = now_usec() + static_cast<std::uint64_t>(request.timeout_ms) * 1000;
  sd_bus* raw = nullptr;
  int r = sd_bus_new(&raw);
  if (r < 0) return bus_error(what + ": sd_bus_new", r);
  Bus bus(raw);
  if ((r = sd_bus_set_address(bus.get(), kSystemBusAddress)) < 0 ||
      (r = sd_bus_set_bus_client(bus.get(), 1)) < 0 || (r = sd_bus_start(bus.get())) < 0) {
    return bus_error(what + ": connecting to the system bus (" + kSystemBusAddress + ")", r);
  }

  JobWait wait;
  sd_bus_slot* slot_raw = nullptr;
  r = sd_bus_match_signal(bus.get(), &slot_raw, "org.freedesktop.systemd1",
                          "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                          "JobRemoved", on_job_removed, &wait);
  if (r < 0) return bus_error(what + ": subscribing to JobRemoved", r);
  Slot slot(slot_raw);

  sd_bus_message* m_raw = nullptr;
  r = sd_bus_message_new_method_call(bus.get(), &m_raw, "org.freedesktop.systemd1",
                                     "/org/freedesktop/systemd1",
                                     "org.freedesktop.systemd1.Manager", "StartTransientUnit");
  if (r < 0) return bus_error(what + ": building the call", r);
  Message call(m_raw);
  r = sd_bus_message_append(call.get(), "ss", request.unit.c_str(), "fail");
  if (r < 0) return bus_error(what + ": building the call", r);
  VPNNS_TRY(append_properties(call.get(), request));

  BusError error;
  sd_bus_message* reply_raw = nullptr;
  r = sd_bus_call(bus.get(), call.get(), static_cast<std::uint64_t>(request.timeout_ms) * 1000,
                  &error.e, &reply_raw);
  if (r < 0) return bus_error(what, r, &error.e);
  Message reply(reply_raw);
  const char* job = nullptr;
  r = sd_bus_message_read(reply.get(), "o", &job);
  if (r < 0) return bus_error(what + ": reading the job from the reply", r);
  wait.job = job;

  while (!wait.done) {
    r = sd_bus_process(bus.get(), nullptr);
    if (r < 0) return bus_error(what + ": waiting for the job", r);
    if (r > 0) continue;
    const std::uint64_t now = now_usec();
    if (now >= deadline) {
      return Error(Code::kUnavailable, what + ": systemd did not finish the job within " +
                                           std::to_string(request.timeout_ms) + " ms");
    }
    r = sd_bus_wait(bus.get(), deadline - now);
    if (r < 0) return bus_error(what + ": waiting for the job", r);
  }
  if (wait.result != "done") {
    return Error(Code::kSystem, what + ": the job ended with result '" + wait.result + "'");
  }
  return ok_status();
}

}  // namespace vpnns
