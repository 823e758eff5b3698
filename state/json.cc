#include "state/json.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace vpnns {
namespace {

void append_hex4(std::string& out, unsigned v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out += kHex[(v >> 4) & 0xf];
  out += kHex[v & 0xf];
}

void newline(std::string& out, bool pretty, int depth) {
  if (!pretty) return;
  out += '\n';
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Json> document() {
    if (text_.size() > Json::kMaxText) {
      return Error(Code::kInvalidArgument,
                   "JSON text is over " + std::to_string(Json::kMaxText) + " bytes");
    }
    VPNNS_ASSIGN_OR_RETURN(Json v, value(0));
    skip_space();
    if (pos_ != text_.size()) return fail("trailing characters after the JSON value");
    return v;
  }

 private:
  Error fail(const std::string& what) const {
    return Error(Code::kInvalidArgument, "JSON: " + what + " at byte " + std::to_string(pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Result<Json> value(int depth) {
    if (depth > Json::kMaxDepth)
      return fail("nesting deeper than " + std::to_string(Json::kMaxDepth));
    skip_space();
    if (pos_ >= text_.size()) return fail("unexpected end");
    const char c = text_[pos_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') {
      VPNNS_ASSIGN_OR_RETURN(std::string s, string());
      return Json(std::move(s));
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (literal("true")) return Json(true);
    if (literal("false")) return Json(false);
    if (literal("null")) return Json();
    return fail("unexpected character");
  }

  Result<Json> number() {
    const std::size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') return fail("bad number");
    if (text_[pos_] == '0' && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' &&
        text_[pos_ + 1] <= '9') {
      return fail("leading zero in a number");
    }
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) {
      return fail("only integers are accepted");
    }
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, v);
    if (ec != std::errc() || end != text_.data() + pos_) return fail("integer out of range");
    return Json(v);
  }

  Result<unsigned> hex4() {
    if (pos_ + 4 > text_.size()) return fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= static_cast<unsigned>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v |= static_cast<unsigned>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v |= static_cast<unsigned>(h - 'A' + 10);
      } else {
        return fail("bad \\u escape");
      }
    }
    return v;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  // Length of the valid UTF-8 sequence starting at pos_ (a byte >= 0x80), or 0.
  [[nodiscard]] std::size_t utf8_length() const { return utf8_sequence_length(text_, pos_); }

  Result<std::string> string() {
    ++pos_;  // the opening quote
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) return fail("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (static_cast<unsigned char>(c) >= 0x80) {
        const std::size_t n = utf8_length();
        if (n == 0) return fail("invalid UTF-8 in a string");
        out.append(text_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) return fail("unterminated escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          VPNNS_ASSIGN_OR_RETURN(unsigned cp, hex4());
          if (cp >= 0xdc00 && cp <= 0xdfff) return fail("lone low surrogate");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (!literal("\\u")) return fail("lone high surrogate");
            VPNNS_ASSIGN_OR_RETURN(unsigned low, hex4());
            if (low < 0xdc00 || low > 0xdfff) return fail("lone high surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          put_utf8(out, cp);
          break;
        }
        default:
          return fail("unknown escape");
      }
    }
  }

  Result<Json> array(int depth) {
    ++pos_;
    Json out = Json::array();
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return out;
    }
    for (;;) {
      VPNNS_ASSIGN_OR_RETURN(Json v, value(depth + 1));
      out.push(std::move(v));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return out;
      }
      return fail("expected ',' or ']'");
    }
  }

  Result<Json> object(int depth) {
    ++pos_;
    Json out = Json::object();
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return out;
    }
    for (;;) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') return fail("expected a member name");
      VPNNS_ASSIGN_OR_RETURN(std::string key, string());
      if (out.find(key) != nullptr) return fail("duplicate member \"" + key + "\"");
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') return fail("expected ':'");
      ++pos_;
      VPNNS_ASSIGN_OR_RETURN(Json v, value(depth + 1));
      out.set(std::move(key), std::move(v));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return out;
      }
      return fail("expected ',' or '}'");
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Json Json::array(std::vector<Json> items) {
  Json out(Type::kArray);
  out.items_ = std::move(items);
  return out;
}

Json& Json::push(Json value) {
  items_.push_back(std::move(value));
  return *this;
}

Json& Json::set(std::string key, Json value) {
  const auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it != keys_.end()) {
    items_[static_cast<std::size_t>(it - keys_.begin())] = std::move(value);
  } else {
    keys_.push_back(std::move(key));
    items_.push_back(std::move(value));
  }
  return *this;
}

const Json* Json::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return &items_[i];
  }
  return nullptr;
}

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  unsigned cp = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0fu;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (pos + n > text.size()) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3fu);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Valid UTF-8 passes through; any other byte (an event message may quote what a hostile
      // peer sent) becomes U+FFFD, so that what is written always parses.
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        out += "\\ufffd";
      } else {
        out.append(s.substr(i, n));
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          append_hex4(out, static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

void Json::write(std::string& out, bool pretty, int depth) const {
  switch (type_) {
    case Type::kNull:
      out += "null";
      return;
    case Type::kBool:
      out += int_ != 0 ? "true" : "false";
      return;
    case Type::kInt:
      out += std::to_string(int_);
      return;
    case Type::kString:
      out += json_quote(str_);
      return;
    case Type::kArray:
    case Type::kObject: {
      const bool obj = type_ == Type::kObject;
      out += obj ? '{' : '[';
      if (items_.empty()) {
        out += obj ? '}' : ']';
        return;
      }
      for (std::size_t i = 0; i < items_.size(); ++i) {
        if (i > 0) out += ',';
        newline(out, pretty, depth + 1);
        if (obj) {
          out += json_quote(keys_[i]);
          out += pretty ? ": " : ":";
        }
        items_[i].write(out, pretty, depth + 1);
      }
      newline(out, pretty, depth);
      out += obj ? '}' : ']';
      return;
    }
  }
}

std::string Json::dump(bool pretty) const {
  std::string out;
  write(out, pretty, 0);
  return out;
}

Result<Json> Json::parse(std::string_view text) { return Parser(text).document(); }

}  // namespace vpnns
