// SPDX-License-Identifier: GPL-2.0-or-later
// The exec policy's pure part (state/exec_policy.h): the file's grammar, strictly, with a table
// of bad lines; the first matching rule decides; the default without a file; every decision
// names its rule. (The file read through the trusted-file checks, and vpnns-execd applying it:
// tests/e2e/exec_test.sh.)
#include "state/exec_policy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace vpnns {
namespace {

ExecNameLookup fake_lookup() {
  ExecNameLookup l;
  l.user = [](const std::string& n) -> std::optional<uid_t> {
    if (n == "alice") return 1001;
    if (n == "bob") return 1002;
    return std::nullopt;
  };
  l.group = [](const std::string& n) -> std::optional<gid_t> {
    if (n == "vpnns") return 900;
    if (n == "admins") return 901;
    return std::nullopt;
  };
  return l;
}

const ExecCaller kAlice{1001, 100, {900}, "alice"};
const ExecCaller kBob{1002, 100, {900, 901}, "bob"};
const ExecCaller kCarol{1003, 900, {}, "carol"};  // vpnns as her primary group
const ExecTarget kWork{"work", Role::kClient};
const ExecTarget kGate{"gw", Role::kServer};
const ExecTarget kOld{"old", std::nullopt};
const ExecPolicySource kSource{"/etc/vpnns/exec-policy", 900, "vpnns"};

TEST(ExecPolicy, DefaultLetsTheGroupIntoClientNamespacesOnly) {
  for (const ExecCaller& who : {kAlice, kCarol}) {
    EXPECT_TRUE(apply_exec_policy(std::nullopt, who, kWork, kSource).allowed) << who.name;
  }
  const ExecDecision server = apply_exec_policy(std::nullopt, kAlice, kGate, kSource);
  EXPECT_FALSE(server.allowed);
  EXPECT_EQ(server.rule,
            "default: group vpnns may enter client namespaces only (there is no "
            "/etc/vpnns/exec-policy; see vpnnsctl(1), EXEC POLICY)");
  EXPECT_EQ(server.text,
            "user alice (uid 1001) may not enter network namespace 'gw' (a server's): refused by "
            "default: group vpnns may enter client namespaces only (there is no "
            "/etc/vpnns/exec-policy; see vpnnsctl(1), EXEC POLICY)");
  EXPECT_FALSE(apply_exec_policy(std::nullopt, kAlice, kOld, kSource).allowed);
  const ExecCaller outsider{1004, 100, {}, "dave"};
  EXPECT_FALSE(apply_exec_policy(std::nullopt, outsider, kWork, kSource).allowed);
}

TEST(ExecPolicy, TheFirstMatchingRuleDecides) {
  const std::string text =
      "# who may enter what\n"
      "deny  user:alice   work      # not her tunnel\n"
      "\n"
      "allow group:admins role:server\n"
      "allow group:900    role:client\n"
      "allow user:1003    *\n";
  auto rules = parse_exec_policy(text, "/p", fake_lookup());
  ASSERT_TRUE(rules.ok()) << rules.error().text();
  ASSERT_EQ(rules->size(), 4u);
  auto decide = [&](const ExecCaller& who, const ExecTarget& t) {
    return apply_exec_policy(*rules, who, t, kSource);
  };
  const ExecDecision alice_work = decide(kAlice, kWork);
  EXPECT_FALSE(alice_work.allowed);
  EXPECT_EQ(alice_work.rule, "/p:2: deny user:alice work");
  EXPECT_NE(alice_work.text.find("refused by /p:2: deny user:alice work"), std::string::npos);
  EXPECT_TRUE(decide(kAlice, ExecTarget{"home", Role::kClient}).allowed);
  EXPECT_EQ(decide(kAlice, ExecTarget{"home", Role::kClient}).rule,
            "/p:5: allow group:900 role:client");
  EXPECT_FALSE(decide(kAlice, kGate).allowed);
  EXPECT_EQ(decide(kAlice, kGate).rule,
            "/etc/vpnns/exec-policy: no rule matches (the first matching rule decides; none: "
            "refused)");
  EXPECT_TRUE(decide(kBob, kGate).allowed);
  EXPECT_EQ(decide(kBob, kGate).rule, "/p:4: allow group:admins role:server");
  EXPECT_TRUE(decide(kCarol, kOld).allowed);  // '*' also matches a marker without a role
  EXPECT_FALSE(decide(kBob, kOld).allowed);   // role rules never match one
  // An empty file allows nothing.
  auto none = parse_exec_policy("# nothing\n", "/p", fake_lookup());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(apply_exec_policy(*none, kAlice, kWork, kSource).allowed);
}

TEST(ExecPolicy, BadLinesAreNamedByFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"permit user:alice work", "/p:1: unknown action 'permit'"},
      {"allow user:alice", "/p:1: expected 3 words, found 2"},
      {"allow user:alice work extra", "/p:1: expected 3 words, found 4"},
      {"allow user:nobody-here work", "/p:1: no such user 'nobody-here'"},
      {"allow group:nogroup-here work", "/p:1: no such group 'nogroup-here'"},
      {"allow user: work", "/p:1: no name after 'user:'"},
      {"allow alice work", "/p:1: unknown subject 'alice'"},
      {"allow * role:gateway", "/p:1: unknown role 'gateway'"},
      {"allow * ../etc", "/p:1: '../etc' is not a namespace name"},
      {"allow * " + std::string(65, 'a'), "is not a namespace name"},
      {"allow user:99999999999 work", "/p:1: no such user '99999999999'"},
      {"# fine\nallow * work\ndeny *", "/p:3: expected 3 words"},
  };
  for (const auto& [text, want] : cases) {
    auto r = parse_exec_policy(text, "/p", fake_lookup());
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message().find(want), std::string::npos) << r.error().message();
  }
}

// The example the package installs parses, and is the default spelled out.
TEST(ExecPolicy, TheShippedExampleIsTheDefault) {
  std::ifstream in(VPNNS_EXAMPLE_POLICY);
  std::stringstream text;
  text << in.rdbuf();
  auto rules = parse_exec_policy(text.str(), "example", fake_lookup());
  ASSERT_TRUE(rules.ok()) << rules.error().text();
  ASSERT_EQ(rules->size(), 1u);
  for (const ExecCaller& who : {kAlice, kBob, kCarol}) {
    for (const ExecTarget& t : {kWork, kGate, kOld}) {
      EXPECT_EQ(apply_exec_policy(*rules, who, t, kSource).allowed,
                apply_exec_policy(std::nullopt, who, t, kSource).allowed)
          << who.name << " " << t.netns;
    }
  }
}

TEST(ExecPolicy, AFileThatCannotBeUsedRefusesEverything) {
  ExecPolicySource source = kSource;
  source.path = "/proc/self/status";  // exists, but not a file only root can have written
  const ExecDecision d = decide_exec(kAlice, kWork, source);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.text.find("the exec policy cannot be used"), std::string::npos) << d.text;
  source.path = "/nonexistent-vpnns-dir/exec-policy";  // no file: the default
  EXPECT_TRUE(decide_exec(kAlice, kWork, source).allowed);
  EXPECT_FALSE(decide_exec(kAlice, kGate, source).allowed);
}

}  // namespace
}  // namespace vpnns
