// SPDX-License-Identifier: GPL-2.0-or-later
// vpnns's JSON policy over nlohmann/json (state/json.h): the writer's form and escapes, and the
// strict reader's refusals.
#include "state/json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vpnns {
namespace {

TEST(Json, WritesInInsertionOrder) {
  Json o = Json::object();
  o["b"] = 1;
  o["a"] = Json::array({true, nullptr, "x"});
  o["b"] = 2;  // replaced in place
  EXPECT_EQ(json_dump(o), R"({"b":2,"a":[true,null,"x"]})");
  EXPECT_EQ(json_dump(o, true),
            "{\n  \"b\": 2,\n  \"a\": [\n    true,\n    null,\n    \"x\"\n  ]\n}");
  EXPECT_EQ(json_dump(Json::object(), true), "{}");
  EXPECT_EQ(json_dump(Json::array(), true), "[]");
}

TEST(Json, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(json_quote("a\"b\\c\n\t\x01\x1b"), R"("a\"b\\c\n\t\u0001\u001b")");
  EXPECT_EQ(json_quote("\x7f"), "\"\x7f\"");  // DEL is not a JSON control character
  EXPECT_EQ(json_dump(Json("é")), "\"é\"");
}

// An event message may quote a hostile peer's bytes: what is not UTF-8 is written as U+FFFD, so
// the document still parses.
TEST(Json, WritesBytesThatAreNotUtf8AsReplacementCharacters) {
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(json_quote("a\xff b"), "\"a" + r + " b\"");
  EXPECT_EQ(json_quote("\xc3"), "\"" + r + "\"");                     // cut short
  EXPECT_EQ(json_quote("\xc0\x80"), "\"" + r + r + "\"");             // overlong
  EXPECT_EQ(json_quote("\xed\xa0\x80"), "\"" + r + r + r + "\"");     // a surrogate
  EXPECT_EQ(json_quote("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // U+1F600 passes
  auto back = json_parse(json_dump(Json(std::string("x\xfe\x80y"))));
  ASSERT_TRUE(back.ok()) << back.error().text();
  EXPECT_EQ(back->get<std::string>(), "x\xef\xbf\xbd\xef\xbf\xbdy");
}

TEST(Json, ParsesWhatItWrites) {
  Json o = Json::object();
  o["n"] = std::int64_t{-9007199254740993};
  o["max"] = std::uint64_t{INT64_MAX};
  o["s"] = "tab\there \"quoted\" \x02";
  o["nested"] = Json::array({Json::object(), Json::array()});
  for (bool pretty : {false, true}) {
    auto back = json_parse(json_dump(o, pretty));
    ASSERT_TRUE(back) << back.error().text();
    EXPECT_EQ(*back, o);
  }
  EXPECT_EQ(json_find(o, "max")->get<std::int64_t>(), INT64_MAX);
  EXPECT_EQ(json_find(o, "missing"), nullptr);
  EXPECT_EQ(json_find(Json::array(), "n"), nullptr);
}

TEST(Json, ParsesEscapes) {
  auto v = json_parse(R"(["\u00e9\ud83d\ude00\/\b\f\r"])");
  ASSERT_TRUE(v) << v.error().text();
  EXPECT_EQ((*v)[0].get<std::string>(), "é😀/\b\f\r");
}

TEST(Json, RefusesAnythingElse) {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"", "unexpected end of input"},
      {"{", "expected string literal"},
      {"[1,]", "unexpected ']'"},
      {"[1 2]", "expected ']' at byte 4"},
      {R"({"a":1,"a":2})", "duplicate member \"a\""},
      {R"({"a" 1})", "expected ':'"},
      {"1.5", "only integers"},
      {"1e3", "only integers"},
      {"01", "expected end of input at byte 2"},
      {"-", "expected digit after '-'"},
      {"99999999999999999999", "out of range"},
      {"9223372036854775808", "out of range"},
      {"\"abc", "missing closing quote"},
      {"\"a\nb\"", "control character U+000A (LF) must be escaped"},
      {R"("\x")", "forbidden character after backslash"},
      {R"("\u12")", "must be followed by 4 hex digits"},
      {R"("\u12zz")", "must be followed by 4 hex digits"},
      {R"("\ud800")", "must be followed by U+DC00..U+DFFF"},
      {R"("\udc00")", "must follow U+D800..U+DBFF"},
      {"\"\xc3\"", "ill-formed UTF-8"},
      {"\"\xc0\xaf\"", "ill-formed UTF-8"},          // overlong '/'
      {"\"\xed\xa0\x80\"", "ill-formed UTF-8"},      // an encoded surrogate
      {"\"\xf4\x90\x80\x80\"", "ill-formed UTF-8"},  // past U+10FFFF
      {"nul", "invalid literal"},
      {"{} x", "invalid literal at byte 4"},
      {"{}}", "expected end of input at byte 3"},
      {"[1] // comment", "invalid literal"},
  };
  for (const Case& c : cases) {
    auto v = json_parse(c.text);
    ASSERT_FALSE(v) << c.text;
    EXPECT_NE(v.error().message().find(c.why), std::string::npos)
        << c.text << ": " << v.error().message();
  }
}

TEST(Json, LimitsDepthAndSize) {
  std::string deep(kJsonMaxDepth + 1, '[');
  deep += std::string(kJsonMaxDepth + 1, ']');
  EXPECT_TRUE(json_parse(deep));
  deep = "[" + deep + "]";
  auto v = json_parse(deep);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("nesting deeper"), std::string::npos);
  EXPECT_FALSE(json_parse("\"" + std::string(kJsonMaxText, 'a') + "\""));
}

}  // namespace
}  // namespace vpnns
