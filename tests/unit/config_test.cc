// Plugin argument parsing: what is accepted, what is refused, and that every refusal names the
// argument as written and what would be accepted.
#include "common/config.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

constexpr const char* kDefaultHelper = "/usr/libexec/vpnns/vpnns-helper";

Result<Config> parse(std::vector<std::string> words) { return parse_config(words, kDefaultHelper); }

TEST(Config, NetnsAloneTurnsOnDns) {
  auto c = parse({"netns=work"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->netns, "work");
  EXPECT_EQ(c->dns, DnsMode::kYes);
  EXPECT_EQ(c->helper, kDefaultHelper);
  EXPECT_TRUE(c->netns_mode());
}

TEST(Config, ExplicitValues) {
  auto c = parse({"dns=no", "netns=a.b_c-9", "helper=/opt/x/helper"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->netns, "a.b_c-9");
  EXPECT_EQ(c->dns, DnsMode::kNo);
  EXPECT_EQ(c->helper, "/opt/x/helper");
}

TEST(Config, CanonicalArgsRoundTrip) {
  for (const auto& words : std::vector<std::vector<std::string>>{
           {"netns=work"}, {"netns=x", "dns=no"}, {"helper=/h", "netns=n"}}) {
    auto c = parse(words);
    ASSERT_TRUE(c.ok());
    auto again = parse_config(c->to_args(), "/other/default");
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, *c);
  }
}

TEST(Config, NetnsNameBounds) {
  EXPECT_TRUE(parse({"netns=" + std::string(64, 'a')}).ok());
  EXPECT_FALSE(parse({"netns=" + std::string(65, 'a')}).ok());
  EXPECT_TRUE(parse({"netns=..."}).ok());
}

struct Bad {
  std::vector<std::string> words;
  std::vector<std::string> expected;  // substrings of the message
};

class ConfigRefusal : public testing::TestWithParam<Bad> {};

TEST_P(ConfigRefusal, NamesTheArgument) {
  auto c = parse(GetParam().words);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), Code::kInvalidArgument);
  for (const auto& s : GetParam().expected) {
    EXPECT_NE(c.error().message().find(s), std::string::npos)
        << "'" << s << "' not in: " << c.error().message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigRefusal,
    testing::Values(
        Bad{{}, {"no mode given", "netns=NAME"}}, Bad{{"netns="}, {"'netns='", "1-64 characters"}},
        Bad{{"netns=."}, {"'netns=.'", "not '.' or '..'"}}, Bad{{"netns=.."}, {"'netns=..'"}},
        Bad{{"netns=a/b"}, {"'netns=a/b'"}}, Bad{{"netns=a b"}, {"'netns=a b'"}},
        Bad{{"netns=work", "netns=other"},
            {"'netns=other'", "duplicate key 'netns'", "'netns=work'"}},
        Bad{{"netns=w", "dns=maybe"}, {"'dns=maybe'", "'yes' and 'no'"}},
        Bad{{"netns=w", "dns=YES"}, {"'dns=YES'"}},
        Bad{{"dns=yes"}, {"'dns=yes'", "add netns=NAME"}},
        Bad{{"netns=w", "helper=relative/path"}, {"'helper=relative/path'", "absolute"}},
        Bad{{"netns=w", "helper="}, {"'helper='", "absolute"}},
        Bad{{"netns=w", "helper=/a\tb"}, {"control character"}},
        Bad{{"netns=w", "bogus=1"},
            {"'bogus=1'", "unknown key 'bogus'", "accepted keys: dns, helper, netns"}},
        Bad{{"netns"}, {"'netns'", "expected key=value"}},
        Bad{{"=x"}, {"'=x'", "expected key=value"}},
        // All problems at once, so one failed start tells everything.
        Bad{{"netns=a/b", "dns=maybe", "x=1"}, {"'netns=a/b'", "'dns=maybe'", "'x=1'"}}));

}  // namespace
}  // namespace vpnns
