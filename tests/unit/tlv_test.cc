// SPDX-License-Identifier: GPL-2.0-or-later
// The TLV codec (ipc/tlv.h), on a dialect of its own: the writer's exact bytes, the frame walk's
// table, and every rule a schema states refused with a reason that names the attribute. The two
// real protocols' schemas are tested in wire_test.cc and exec_wire_test.cc.
#include "ipc/tlv.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace vpnns::tlv {
namespace {

const Schema* test_schema(std::uint16_t type) {
  static const std::map<std::uint16_t, Schema> schemas{
      {1,
       {{1, "name", 1, 8, 1, true},
        {2, "item", 0, 4, 3, false},
        {3, "entry", 1, 1, 2, false},
        {4, "blob", 0, 0xffff, 1, false}}},
      {2, {}},
  };
  auto it = schemas.find(type);
  return it == schemas.end() ? nullptr : &it->second;
}

constexpr Dialect kTest{{'T', 'E', 'S', 'T'}, 3, 128, "test message", test_schema};

using Frame8 = std::vector<std::uint8_t>;

// A frame of type `type` with raw attributes (id, value); `length` overrides the length field.
Frame8 raw(std::uint16_t type, const std::vector<std::pair<std::uint16_t, std::string>>& attrs,
           std::uint16_t version = 3) {
  Frame8 f = {
      'T', 'E', 'S', 'T', 0, static_cast<std::uint8_t>(version), 0, static_cast<std::uint8_t>(type),
      0,   0,   0,   0};
  for (const auto& [id, v] : attrs) {
    put_u16(f, id);
    put_u16(f, static_cast<std::uint16_t>(v.size()));
    f.insert(f.end(), v.begin(), v.end());
  }
  f[11] = static_cast<std::uint8_t>(f.size());
  return f;
}

TEST(Tlv, WriterBytes) {
  Writer w(kTest, 1);
  w.str(1, "ab");
  w.u8(2, 7);
  w.u16(2, 0x0102);
  w.u32(2, 0x01020304);
  w.u64(4, 0x0102030405060708);
  const Frame8 want = {'T', 'E', 'S', 'T', 0,   3,   0, 1, 0, 0, 0, 49,  // header
                       0,   1,   0,   2,   'a', 'b',                     // name
                       0,   2,   0,   1,   7,                            // item u8
                       0,   2,   0,   2,   1,   2,                       // item u16
                       0,   2,   0,   4,   1,   2,   3, 4,               // item u32
                       0,   4,   0,   8,   1,   2,   3, 4, 5, 6, 7, 8};  // blob u64
  EXPECT_EQ(std::move(w).finish(), want);
}

TEST(Tlv, WriterCutsOverlongValues) {
  Writer w(kTest, 1);
  w.str(4, std::string(0x10000 + 5, 'x'));
  const Frame8 f = std::move(w).finish();
  ASSERT_EQ(f.size(), kHeaderSize + kAttrHeaderSize + 0xffff);
  EXPECT_EQ(get_u16(&f[14]), 0xffff);
}

TEST(Tlv, ParseGivesTheValuesById) {
  Writer w(kTest, 1);
  w.str(1, "name");
  w.u8(3, 1);
  w.str(2, "");
  w.u8(3, 2);
  const Frame8 bytes = std::move(w).finish();
  auto f = parse(kTest, bytes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->type, 1);
  EXPECT_EQ(as_string(f->attrs.one(1)), "name");
  ASSERT_EQ(f->attrs.all(3).size(), 2u);
  EXPECT_EQ(f->attrs.all(3)[0][0], 1);
  EXPECT_EQ(f->attrs.all(3)[1][0], 2);
  EXPECT_TRUE(f->attrs.has(2));
  EXPECT_TRUE(f->attrs.one(2).empty());
  EXPECT_FALSE(f->attrs.has(4));
  EXPECT_TRUE(f->attrs.all(4).empty());

  auto empty = parse(kTest, raw(2, {}));
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  EXPECT_EQ(empty->type, 2);
}

TEST(Tlv, RefusesWithAReason) {
  struct Bad {
    const char* name;
    Frame8 frame;
    const char* reason;
  };
  const Frame8 ok = raw(1, {{1, "n"}});
  Frame8 magic = ok;
  magic[0] = 'X';
  Frame8 longer = ok;
  longer[11] = 200;
  Frame8 trailing = ok;
  trailing.push_back(0);
  Frame8 past_end = raw(1, {{1, "n"}, {2, "ab"}});
  past_end[past_end.size() - 3] = 9;  // item's length says 9
  Frame8 attr_header = raw(1, {{1, "n"}});
  attr_header.insert(attr_header.end(), {0, 2, 0});
  attr_header[11] = static_cast<std::uint8_t>(attr_header.size());
  Frame8 oversized = raw(1, {{1, "n"}, {4, std::string(120, 'x')}});
  oversized[10] = 0;
  oversized[11] = 0;  // the size check comes before the length field's

  const std::vector<Bad> cases = {
      {"empty", {}, "truncated header (0 bytes)"},
      {"short header", {'T', 'E', 'S', 'T', 0, 3}, "truncated header (6 bytes)"},
      {"oversized", oversized, "oversized, too large (141 bytes, at most 128)"},
      {"bad magic", magic, "bad magic"},
      {"other version", raw(1, {{1, "n"}}, 4), "protocol version 4, expected 3"},
      {"unknown type", raw(9, {}), "unknown message type 9"},
      {"length field", longer, "length field says 200 bytes, frame has 17"},
      {"trailing byte", trailing, "length field says 17 bytes, frame has 18"},
      {"attribute header", attr_header, "truncated attribute header"},
      {"past the end", past_end, "attribute 2 runs past the end of the frame"},
      {"unknown attribute", raw(1, {{1, "n"}, {7, ""}}),
       "unexpected attribute 7 in message type 1"},
      {"not in this type", raw(2, {{1, "n"}}), "unexpected attribute 1 in message type 2"},
      {"too short", raw(1, {{1, ""}}), "name has length 0"},
      {"too long", raw(1, {{1, "123456789"}}), "name has length 9"},
      {"duplicate", raw(1, {{1, "a"}, {1, "b"}}), "duplicate name"},
      {"too many", raw(1, {{1, "n"}, {2, ""}, {2, ""}, {2, ""}, {2, ""}}),
       "too many items (at most 3)"},
      {"plural of -y", raw(1, {{1, "n"}, {3, "a"}, {3, "b"}, {3, "c"}}),
       "too many entries (at most 2)"},
      {"missing", raw(1, {{2, "x"}}), "missing name"},
  };
  for (const Bad& c : cases) {
    auto r = parse(kTest, c.frame);
    ASSERT_FALSE(r.ok()) << c.name << " was accepted";
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << c.name;
    EXPECT_EQ(r.error().message(), std::string("malformed test message: ") + c.reason) << c.name;
  }
}

TEST(Tlv, EveryTruncationIsRefused) {
  Writer w(kTest, 1);
  w.str(1, "name");
  w.str(2, "abcd");
  w.u8(3, 1);
  const Frame8 f = std::move(w).finish();
  for (std::size_t n = 0; n < f.size(); ++n) {
    EXPECT_FALSE(parse(kTest, Frame8(f.begin(), f.begin() + static_cast<long>(n))).ok()) << n;
  }
}

TEST(Tlv, Strings) {
  const std::string good = "a b\xc3\xa9";
  const std::string bad[] = {"a\nb", std::string("a\0b", 3), "\x1b[2J", "a\x7f"};
  auto bytes = [](const std::string& s) {
    return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  auto ok = text(kTest, bytes(good), "name");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, good);
  for (const std::string& s : bad) {
    auto r = text(kTest, bytes(s), "name");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), "malformed test message: name contains a control character");
    EXPECT_TRUE(has_control(bytes(s)));
  }
  EXPECT_TRUE(has_nul(bytes(bad[1])));
  EXPECT_FALSE(has_nul(bytes(bad[0])));
  EXPECT_EQ(clean_text("a\nb\x7f"
                       "c",
                       100),
            "a?b?c");
  EXPECT_EQ(clean_text("abcdef", 3), "abc");
}

}  // namespace
}  // namespace vpnns::tlv
