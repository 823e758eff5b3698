// SPDX-License-Identifier: GPL-2.0-or-later
// make_corpus's writer of seed files, DIR/<target>/<name>, shared by the files that hold seeds
// (make_corpus.cc; corpus_execd.cc for vpnns-execd's parsers). Failures are remembered and
// reported once by main(); the count is for its summary line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace vpnns::fuzz {

class CorpusWriter {
 public:
  explicit CorpusWriter(std::filesystem::path dir) : dir_(std::move(dir)) {}

  void write(const std::string& target, const std::string& name,
             const std::vector<std::uint8_t>& bytes) {
    const std::filesystem::path dir = dir_ / target;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (ec || !out) {
      std::fprintf(stderr, "make_corpus: cannot write %s\n", (dir / name).c_str());
      ok_ = false;
    }
    ++count_;
  }
  void write(const std::string& target, const std::string& name, std::string_view text) {
    write(target, name, std::vector<std::uint8_t>(text.begin(), text.end()));
  }

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] int count() const { return count_; }

 private:
  std::filesystem::path dir_;
  bool ok_ = true;
  int count_ = 0;
};

// corpus_execd.cc: order_fuzzer's and limits_fuzzer's seeds.
void write_orders(CorpusWriter& w);
void write_limits(CorpusWriter& w);

}  // namespace vpnns::fuzz
