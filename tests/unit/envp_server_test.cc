// SPDX-License-Identifier: GPL-2.0-or-later
// A server's events → typed requests (plugin/envp_server.cc): client-connect/-disconnect by
// common name, learn-address's argv, and refusals that quote the offending value.
#include <gtest/gtest.h>

#include "plugin/envp.h"

namespace vpnns {
namespace {

Prefix p(const char* s) { return *Prefix::parse(s); }

TEST(EnvpServer, ClientConnectAndDisconnectNameTheClient) {
  const char* env[] = {"common_name=alice", nullptr};
  auto c = parse_client_connect(Env(env), 7);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->request, (ClientConnectRequest{7, "alice"}));
  auto d = parse_client_disconnect(Env(env), 7);
  ASSERT_TRUE(d) << d.error().text();
  EXPECT_EQ(d->request, (ClientDisconnectRequest{7, "alice"}));

  const char* none[] = {nullptr};
  EXPECT_FALSE(parse_client_connect(Env(none), 7));
  const char* control[] = {"common_name=al\x1bice", nullptr};
  auto bad = parse_client_connect(Env(control), 7);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("common_name='"), std::string::npos);
}

TEST(EnvpServer, LearnAddress) {
  const char* add[] = {"so", "add", "10.8.0.2", "alice", nullptr};
  auto a = parse_learn_address(add, 3);
  ASSERT_TRUE(a) << a.error().text();
  EXPECT_EQ(a->request, (LearnAddressRequest{LearnOp::kAdd, p("10.8.0.2/32"), 3, "alice"}));

  // An IPv4-mapped prefix is IPv4; a delete has no client and no name.
  const char* del[] = {"so", "delete", "::ffff:10.1.0.0/112", nullptr};
  auto d = parse_learn_address(del, std::nullopt);
  ASSERT_TRUE(d) << d.error().text();
  EXPECT_EQ(d->request, (LearnAddressRequest{LearnOp::kDelete, p("10.1.0.0/16"), {}, ""}));
}

TEST(EnvpServer, LearnAddressRefusals) {
  struct Case {
    std::vector<const char*> argv;
    const char* why;
  };
  const Case cases[] = {
      {{"so", "add"}, "expected 'OP ADDRESS [CN]', got 1"},
      {{"so", "move", "10.8.0.2"}, "learn-address operation='move'"},
      {{"so", "add", "aa:bb:cc:dd:ee:ff@0"}, "dev tap is not supported"},
      {{"so", "update", "10.8.0.2", ""}, "not 1-64 characters"},
  };
  for (const Case& c : cases) {
    std::vector<const char*> argv = c.argv;
    argv.push_back(nullptr);
    auto r = parse_learn_address(argv.data(), 3);
    ASSERT_FALSE(r) << c.why;
    EXPECT_NE(r.error().message().find(c.why), std::string::npos) << r.error().message();
  }
  const char* no_client[] = {"so", "add", "10.8.0.2", nullptr};
  EXPECT_FALSE(parse_learn_address(no_client, std::nullopt));
}

}  // namespace
}  // namespace vpnns
