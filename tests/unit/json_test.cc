// The JSON value, writer and strict parser (state/json.h).
#include "state/json.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

TEST(Json, WritesInInsertionOrder) {
  Json o = Json::object();
  o.set("b", 1);
  o.set("a", Json::array({Json(true), Json(), Json("x")}));
  o.set("b", 2);  // replaced in place
  EXPECT_EQ(o.dump(), R"({"b":2,"a":[true,null,"x"]})");
  EXPECT_EQ(o.dump(true), "{\n  \"b\": 2,\n  \"a\": [\n    true,\n    null,\n    \"x\"\n  ]\n}");
  EXPECT_EQ(Json::object().dump(true), "{}");
  EXPECT_EQ(Json::array().dump(true), "[]");
}

TEST(Json, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(json_quote("a\"b\\c\n\t\x01\x7f"), R"("a\"b\\c\n\t\u0001\u007f")");
  EXPECT_EQ(Json("é").dump(), "\"é\"");
}

// An event message may quote a hostile peer's bytes: what is not UTF-8 is written as U+FFFD, so
// the document still parses.
TEST(Json, WritesBytesThatAreNotUtf8AsReplacementCharacters) {
  EXPECT_EQ(json_quote("a\xff b"), R"("a\ufffd b")");
  EXPECT_EQ(json_quote("\xc3"), R"("\ufffd")");                       // cut short
  EXPECT_EQ(json_quote("\xc0\x80"), R"("\ufffd\ufffd")");             // overlong
  EXPECT_EQ(json_quote("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");   // a surrogate
  EXPECT_EQ(json_quote("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // U+1F600 passes
  auto back = Json::parse(Json(std::string("x\xfe\x80y")).dump());
  ASSERT_TRUE(back.ok()) << back.error().text();
  EXPECT_EQ(back->as_string(), "x\xef\xbf\xbd\xef\xbf\xbdy");
}

TEST(Json, ParsesWhatItWrites) {
  Json o = Json::object();
  o.set("n", std::int64_t{-9007199254740993});
  o.set("big", std::uint64_t{18446744073709551615ULL});  // clamped
  o.set("s", "tab\there \"quoted\" \x02");
  o.set("nested", Json::array({Json::object(), Json::array()}));
  for (bool pretty : {false, true}) {
    auto back = Json::parse(o.dump(pretty));
    ASSERT_TRUE(back) << back.error().text();
    EXPECT_EQ(*back, o);
  }
  EXPECT_EQ(o.find("big")->as_int(), INT64_MAX);
}

TEST(Json, ParsesEscapes) {
  auto v = Json::parse(R"(["\u00e9\ud83d\ude00\/\b\f\r"])");
  ASSERT_TRUE(v) << v.error().text();
  EXPECT_EQ(v->items()[0].as_string(), "é😀/\b\f\r");
}

TEST(Json, RefusesAnythingElse) {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"", "unexpected end"},
      {"{", "expected a member name"},
      {"[1,]", "unexpected character"},
      {"[1 2]", "expected ',' or ']'"},
      {R"({"a":1,"a":2})", "duplicate member"},
      {R"({"a" 1})", "expected ':'"},
      {"1.5", "only integers"},
      {"1e3", "only integers"},
      {"01", "leading zero"},
      {"-", "bad number"},
      {"99999999999999999999", "out of range"},
      {"\"abc", "unterminated string"},
      {"\"a\nb\"", "control character"},
      {R"("\x")", "unknown escape"},
      {R"("\u12")", "truncated \\u escape"},
      {R"("\u12zz")", "bad \\u escape"},
      {R"("\ud800")", "lone high surrogate"},
      {R"("\udc00")", "lone low surrogate"},
      {"\"\xc3\"", "invalid UTF-8"},
      {"\"\xc0\xaf\"", "invalid UTF-8"},          // overlong '/'
      {"\"\xed\xa0\x80\"", "invalid UTF-8"},      // an encoded surrogate
      {"\"\xf4\x90\x80\x80\"", "invalid UTF-8"},  // past U+10FFFF
      {"nul", "unexpected character"},
      {"{} x", "trailing characters"},
      {"{}}", "trailing characters"},
  };
  for (const Case& c : cases) {
    auto v = Json::parse(c.text);
    ASSERT_FALSE(v) << c.text;
    EXPECT_NE(v.error().message().find(c.why), std::string::npos)
        << c.text << ": " << v.error().message();
  }
}

TEST(Json, LimitsDepthAndSize) {
  std::string deep(Json::kMaxDepth + 1, '[');
  deep += std::string(Json::kMaxDepth + 1, ']');
  EXPECT_TRUE(Json::parse(deep));
  deep = "[" + deep + "]";
  auto v = Json::parse(deep);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("nesting deeper"), std::string::npos);
  EXPECT_FALSE(Json::parse("\"" + std::string(Json::kMaxText, 'a') + "\""));
}

}  // namespace
}  // namespace vpnns
