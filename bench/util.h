// SPDX-License-Identifier: GPL-2.0-or-later
// What every benchmark program needs besides its measurements: a way to give up with a message
// (removing its temporary files), spawning a command as a script would (posix_spawnp, no shell),
// a millisecond clock and nearest-rank quantiles. Header-only, like tsv.h.
#pragma once

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace vpnns::bench {

struct DieState {
  const char* program = "bench";
  std::vector<std::string> files;  // removed by die()
};
inline DieState& die_state() {
  static DieState s;
  return s;
}

// Names the program in die()'s messages.
inline void set_program(const char* name) { die_state().program = name; }
// A temporary file die() removes too (the namespaces a failed run leaves are removed by
// bench/run and scripts/sweep).
inline void remove_on_die(const std::string& path) { die_state().files.push_back(path); }

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", die_state().program, what.c_str());
  for (const auto& f : die_state().files) ::unlink(f.c_str());
  std::exit(1);
}

// Runs argv (PATH lookup, this environment) and returns its wait status.
inline int run(const std::vector<std::string>& argv) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, a[0], nullptr, nullptr, a.data(), environ) != 0) die("spawn " + argv[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// run(), and die() unless it succeeded.
inline void must(const std::vector<std::string>& argv) {
  if (run(argv) != 0) {
    std::string cmd;
    for (const auto& s : argv) cmd += s + " ";
    die("failed: " + cmd);
  }
}

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The q-quantile (0 ≤ q ≤ 1, nearest rank) of `v`, which this sorts.
inline double quantile(std::vector<double>& v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

}  // namespace vpnns::bench
