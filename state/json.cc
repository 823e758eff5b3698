// SPDX-License-Identifier: GPL-2.0-or-later
// json_parse's strictness is a SAX handler over nlohmann's parser: the library lexes and checks the
// grammar, the handler builds the value and refuses what vpnns never writes (see json.h).
#include "state/json.h"

#include <nlohmann/json.hpp>
#include <set>
#include <vector>

namespace vpnns {
namespace {

class StrictBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  [[nodiscard]] const std::string& problem() const { return problem_; }
  Json take() { return std::move(root_); }

  bool null() { return put(Json()); }
  bool boolean(bool b) { return put(Json(b)); }
  bool number_integer(number_integer_t v) { return put(Json(v)); }
  bool number_unsigned(number_unsigned_t v) {
    if (v > static_cast<number_unsigned_t>(INT64_MAX)) return refuse("integer out of range");
    return put(Json(static_cast<std::int64_t>(v)));
  }
  bool number_float(number_float_t /*v*/, const string_t& text) {
    // The library reads integers too large for 64 bits as floating point.
    if (text.find_first_of(".eE") == string_t::npos) return refuse("integer out of range");
    return refuse("only integers are accepted, not " + text);
  }
  bool string(string_t& s) { return put(Json(std::move(s))); }
  bool binary(binary_t& /*b*/) { return refuse("binary values are not JSON"); }

  bool start_object(std::size_t /*n*/) { return open(Json::object()); }
  bool key(string_t& k) {
    Frame& f = stack_.back();
    if (!f.keys.insert(k).second) return refuse("duplicate member " + json_quote(k));
    f.key = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t /*n*/) { return open(Json::array()); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 4: syntax
    // error while parsing value - invalid literal; last read: '...'; expected ...". Keep the
    // reason only: the last read token may be a hostile file's bytes.
    std::string what = e.what();
    if (auto colon = what.find(": "); colon != std::string::npos) what.erase(0, colon + 2);
    if (auto last = what.find("; last read"); last != std::string::npos) what.erase(last);
    problem_ = what + " at byte " + std::to_string(position);
    return false;
  }

 private:
  struct Frame {
    Json* value;
    std::set<std::string> keys;  // objects: the names seen, to refuse duplicates
    std::string key;             // objects: the member the next value is for
  };

  bool refuse(std::string what) {
    problem_ = std::move(what);
    return false;
  }

  // Places a complete value: the document, an array's next item or an object's member.
  Json* place(Json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& parent = *stack_.back().value;
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    Json& slot = parent[stack_.back().key];
    slot = std::move(v);
    return &slot;
  }
  bool put(Json v) {
    place(std::move(v));
    return true;
  }
  bool open(Json container) {
    if (static_cast<int>(stack_.size()) >= kJsonMaxDepth + 1) {
      return refuse("nesting deeper than " + std::to_string(kJsonMaxDepth));
    }
    // Pointers into the parent stay valid: nothing is added to it until this child is closed.
    stack_.push_back(Frame{place(std::move(container)), {}, {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  Json root_;
  std::vector<Frame> stack_;
  std::string problem_;
};

}  // namespace

Result<Json> json_parse(std::string_view text) {
  if (text.size() > kJsonMaxText) {
    return Error(Code::kInvalidArgument,
                 "JSON text is over " + std::to_string(kJsonMaxText) + " bytes");
  }
  // Said here, not by the library: its wording for this case differs between versions (Debian
  // 12's 3.11.2, Debian 13's 3.11.3).
  if (text.find_first_not_of(" \t\n\r") == std::string_view::npos) {
    return Error(Code::kInvalidArgument, "JSON: unexpected end of input: an empty document");
  }
  StrictBuilder builder;
  const bool ok = Json::sax_parse(text.begin(), text.end(), &builder,
                                  nlohmann::detail::input_format_t::json, /*strict=*/true,
                                  /*ignore_comments=*/false);
  if (!ok) {
    return Error(Code::kInvalidArgument,
                 "JSON: " + (builder.problem().empty() ? "not accepted" : builder.problem()));
  }
  return builder.take();
}

std::string json_dump(const Json& value, bool pretty) {
  return value.dump(pretty ? 2 : -1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

std::string json_quote(std::string_view s) { return json_dump(Json(std::string(s))); }

const Json* json_find(const Json& value, std::string_view key) {
  if (!value.is_object()) return nullptr;
  const auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

}  // namespace vpnns
