// Json: a small JSON value, writer and strict parser for vpnns's own documents.
//
// Two documents need it: the state file the helper writes under /run/vpnns (state/state.h) and
// `vpnnsctl status --json`. Both are vpnns's own, so this is deliberately small rather than
// general: values are null, booleans, 64-bit integers, strings, arrays and objects (members kept
// in insertion order, so output is stable and diffs are readable). Numbers with a fraction or an
// exponent are refused, as are duplicate keys, control characters in strings, invalid UTF-8,
// lone surrogates, nesting deeper than kMaxDepth and trailing bytes: a state file is read back by
// root, and anything but what vpnns writes is an error with its byte offset, not a guess.
//
// Writing escapes every control character and '"', '\\'; valid UTF-8 passes through, and every
// byte that is not part of it is written as U+FFFD (event messages may quote a hostile peer's
// bytes): whatever is written parses. The text is one line, or indented by two spaces per level
// with `pretty`.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace vpnns {

class Json {
 public:
  enum class Type : std::uint8_t { kNull, kBool, kInt, kString, kArray, kObject };

  static constexpr int kMaxDepth = 32;
  static constexpr std::size_t kMaxText = 1 << 20;
  static constexpr std::int64_t kIntMax = INT64_MAX;

  Json() = default;                                      // null
  Json(std::nullptr_t) {}                                // NOLINT(google-explicit-constructor)
  Json(bool b) : type_(Type::kBool), int_(b) {}          // NOLINT(google-explicit-constructor)
  Json(int v) : type_(Type::kInt), int_(v) {}            // NOLINT(google-explicit-constructor)
  Json(std::int64_t v) : type_(Type::kInt), int_(v) {}   // NOLINT(google-explicit-constructor)
  Json(std::uint32_t v) : type_(Type::kInt), int_(v) {}  // NOLINT(google-explicit-constructor)
  // Counts and sizes; values past INT64_MAX are clamped (none occur in vpnns's documents).
  Json(std::uint64_t v)  // NOLINT(google-explicit-constructor)
      : type_(Type::kInt), int_(v > kIntMax ? kIntMax : static_cast<std::int64_t>(v)) {}
  Json(std::string s)  // NOLINT(google-explicit-constructor)
      : type_(Type::kString), str_(std::move(s)) {}
  Json(const char* s) : Json(std::string(s)) {}  // NOLINT(google-explicit-constructor)

  static Json array() { return Json(Type::kArray); }
  static Json object() { return Json(Type::kObject); }
  static Json array(std::vector<Json> items);

  [[nodiscard]] Type type() const { return type_; }
  [[nodiscard]] bool is_null() const { return type_ == Type::kNull; }
  [[nodiscard]] bool is_bool() const { return type_ == Type::kBool; }
  [[nodiscard]] bool is_int() const { return type_ == Type::kInt; }
  [[nodiscard]] bool is_string() const { return type_ == Type::kString; }
  [[nodiscard]] bool is_array() const { return type_ == Type::kArray; }
  [[nodiscard]] bool is_object() const { return type_ == Type::kObject; }

  // Values; only meaningful for the matching type (false, 0, "" otherwise).
  [[nodiscard]] bool as_bool() const { return type_ == Type::kBool && int_ != 0; }
  [[nodiscard]] std::int64_t as_int() const { return type_ == Type::kInt ? int_ : 0; }
  [[nodiscard]] const std::string& as_string() const { return str_; }

  // Arrays: the items. Objects: the values, in order (keys() gives the keys).
  [[nodiscard]] const std::vector<Json>& items() const { return items_; }
  [[nodiscard]] const std::vector<std::string>& keys() const { return keys_; }
  [[nodiscard]] std::size_t size() const { return items_.size(); }

  // Appends to an array.
  Json& push(Json value);
  // Sets a member of an object (replacing one of the same key, keeping its place).
  Json& set(std::string key, Json value);
  // The member `key` of an object, or nullptr.
  [[nodiscard]] const Json* find(std::string_view key) const;

  [[nodiscard]] std::string dump(bool pretty = false) const;
  static Result<Json> parse(std::string_view text);

  friend bool operator==(const Json&, const Json&) = default;

 private:
  explicit Json(Type t) : type_(t) {}
  void write(std::string& out, bool pretty, int depth) const;

  Type type_ = Type::kNull;
  std::int64_t int_ = 0;
  std::string str_;
  std::vector<std::string> keys_;  // objects
  std::vector<Json> items_;        // arrays: items; objects: values, parallel to keys_
};

// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

// The length of the valid UTF-8 sequence that starts at text[pos] (a byte >= 0x80), or 0 if
// none does (overlong forms, surrogates and values past U+10FFFF are not UTF-8).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

}  // namespace vpnns
