// SPDX-License-Identifier: GPL-2.0-or-later
// The machine-readable side of the benchmarks: what bench/run reads.
//
// Every benchmark prints its own table for a human by default; with `--tsv` anywhere among its
// arguments it prints instead one line per comparison and nothing else on stdout:
//
//   what <TAB> baseline <TAB> baseline figure <TAB> vpnns figure <TAB> unit [<TAB> ratio]
//
// The figures are medians (p50). The ratio column is left out when the ratio is simply the two
// figures divided (bench/run divides them, in the direction the unit calls for); a benchmark
// gives it only when it measured the ratio otherwise (tunnel_bench: the median of paired runs'
// ratios). Names hold no tabs or newlines. Header-only, so each benchmark stays one file.
#pragma once

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace vpnns::bench {

struct Args {
  bool tsv = false;
  std::vector<std::string> positional;  // the benchmark's own arguments, `--tsv` taken out
};

// Takes `--tsv` out of the arguments; more than `max_positional` others end the benchmark with
// its usage line.
inline Args parse_args(int argc, char** argv, std::size_t max_positional, const char* usage) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--tsv") == 0) {
      a.tsv = true;
    } else {
      a.positional.emplace_back(argv[i]);
    }
  }
  if (a.positional.size() > max_positional) {
    std::fprintf(stderr, "usage: %s\n", usage);
    std::exit(2);
  }
  return a;
}

// The I-th argument, a count from 1 to 10 000 000, or `fallback` when there are fewer arguments.
// Anything else ends the benchmark before it created anything, with a message that quotes it.
inline int count_arg(const char* prog, const Args& a, std::size_t i, const char* name,
                     int fallback) {
  if (i >= a.positional.size()) return fallback;
  const std::string& s = a.positional[i];
  int n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n < 1 || n > 10'000'000) {
    std::fprintf(stderr, "%s: %s must be a count from 1 to 10000000, not '%s'\n", prog, name,
                 s.c_str());
    std::exit(2);
  }
  return n;
}

inline void tsv_line(const std::string& what, const std::string& baseline, double baseline_value,
                     double vpnns_value, const char* unit) {
  std::printf("%s\t%s\t%.6g\t%.6g\t%s\n", what.c_str(), baseline.c_str(), baseline_value,
              vpnns_value, unit);
}

}  // namespace vpnns::bench
