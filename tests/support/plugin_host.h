// SPDX-License-Identifier: GPL-2.0-or-later
// PluginHost: loads vpnns.so the way openvpn does (dlopen, open_v3, func_v3, close_v1) so that
// benchmarks measure the full plugin path — envp parsing, the socket round trip, the helper,
// the kernel — and nothing less, and tests can drive the real .so without openvpn. This is the
// host side of the plugin ABI, not plugin code. What the plugin logs through plugin_log is
// kept (PluginHost::log()) as openvpn would print it: "PLUGIN vpnns: ...".
#pragma once

#include <dlfcn.h>
#include <openvpn/openvpn-plugin.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace vpnns::testing {

// A NULL-terminated char* array that owns its strings.
class StringArray {
 public:
  StringArray() { ptrs_.push_back(nullptr); }
  explicit StringArray(std::vector<std::string> s) : strings_(std::move(s)) {
    for (auto& x : strings_) ptrs_.push_back(x.c_str());
    ptrs_.push_back(nullptr);
  }
  const char** get() { return ptrs_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<const char*> ptrs_;
};

// Test support: one process hosts one plugin at a time, like openvpn's log has one sink.
inline std::vector<std::string>& log_lines() {
  static std::vector<std::string> lines;
  return lines;
}
// Benchmarks turn keeping off: a growing log is not what they measure.
inline bool& keep_log() {
  static bool keep = true;
  return keep;
}

inline void quiet_log(openvpn_plugin_log_flags_t flags, const char* name, const char* fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if ((flags & PLOG_ERR) != 0 && std::getenv("VPNNS_HOST_QUIET") == nullptr) {
    std::fprintf(stderr, "PLUGIN %s: %s\n", name, buf);
  }
  if (keep_log()) log_lines().push_back(std::string("PLUGIN ") + name + ": " + buf);
}

inline void quiet_vlog(openvpn_plugin_log_flags_t, const char*, const char*, va_list) {}

class PluginHost {
 public:
  // `open_env`: what openvpn tells a plugin at open time; by default a client's (it has a
  // `remote`).
  PluginHost(const std::string& so, const std::vector<std::string>& args,
             std::vector<std::string> open_env = {"verb=1", "config=/etc/openvpn/client/test.conf",
                                                  "remote_1=198.51.100.1", "proto_1=udp"}) {
    lib_ = dlopen(so.c_str(), RTLD_NOW);
    if (lib_ == nullptr) throw std::runtime_error(dlerror());
    open_ = reinterpret_cast<decltype(open_)>(dlsym(lib_, "openvpn_plugin_open_v3"));
    func_ = reinterpret_cast<decltype(func_)>(dlsym(lib_, "openvpn_plugin_func_v3"));
    close_ = reinterpret_cast<decltype(close_)>(dlsym(lib_, "openvpn_plugin_close_v1"));
    client_new_ = reinterpret_cast<decltype(client_new_)>(
        dlsym(lib_, "openvpn_plugin_client_constructor_v1"));
    client_free_ = reinterpret_cast<decltype(client_free_)>(
        dlsym(lib_, "openvpn_plugin_client_destructor_v1"));
    if (!open_ || !func_ || !close_) throw std::runtime_error("missing plugin symbols");
    std::vector<std::string> argv = {so};
    argv.insert(argv.end(), args.begin(), args.end());
    argv_ = StringArray(argv);
    callbacks_.plugin_log = quiet_log;
    callbacks_.plugin_vlog = quiet_vlog;
    StringArray envp(std::move(open_env));
    openvpn_plugin_args_open_in in{0xffff,   argv_.get(), envp.get(), &callbacks_, SSLAPI_OPENSSL,
                                   "2.6.14", 2,           6,          ".14"};
    openvpn_plugin_args_open_return out{};
    if (open_(OPENVPN_PLUGINv3_STRUCTVER, &in, &out) != OPENVPN_PLUGIN_FUNC_SUCCESS) {
      dlclose(lib_);
      lib_ = nullptr;
      std::string why = "openvpn_plugin_open_v3 failed";
      for (const auto& l : log_lines()) why += "\n" + l;
      throw std::runtime_error(why);
    }
    handle_ = out.handle;
    mask_ = out.type_mask;
  }
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;
  ~PluginHost() {
    if (handle_ != nullptr) close_(handle_);
    if (lib_ != nullptr) dlclose(lib_);
  }

  // Calls one event the way openvpn's plugin_call does; returns the plugin's status.
  // `client`: the per-client context (server events), as new_client() made it.
  int call(int type, std::vector<std::string> argv, std::vector<std::string> envp,
           void* client = nullptr) {
    argv.insert(argv.begin(), argv_.get()[0]);
    StringArray a(std::move(argv));
    StringArray e(std::move(envp));
    openvpn_plugin_args_func_in in{type, a.get(), e.get(), handle_, client, -1, nullptr};
    openvpn_plugin_args_func_return out{};
    return func_(OPENVPN_PLUGINv3_STRUCTVER, &in, &out);
  }

  // What openvpn does for each client instance on a server.
  void* new_client() { return client_new_ != nullptr ? client_new_(handle_) : nullptr; }
  void free_client(void* client) {
    if (client_free_ != nullptr) client_free_(handle_, client);
  }

  [[nodiscard]] int type_mask() const { return mask_; }
  static const std::vector<std::string>& log() { return log_lines(); }
  static void clear_log() { log_lines().clear(); }

 private:
  void* lib_ = nullptr;
  int (*open_)(int, const openvpn_plugin_args_open_in*, openvpn_plugin_args_open_return*) = nullptr;
  int (*func_)(int, const openvpn_plugin_args_func_in*, openvpn_plugin_args_func_return*) = nullptr;
  void (*close_)(openvpn_plugin_handle_t) = nullptr;
  void* (*client_new_)(openvpn_plugin_handle_t) = nullptr;
  void (*client_free_)(openvpn_plugin_handle_t, void*) = nullptr;
  openvpn_plugin_callbacks callbacks_{};
  StringArray argv_;
  openvpn_plugin_handle_t handle_ = nullptr;
  int mask_ = 0;
};

}  // namespace vpnns::testing
