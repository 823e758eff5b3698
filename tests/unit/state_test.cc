// SPDX-License-Identifier: GPL-2.0-or-later
// The state file's schema (state/state.h) and the helper's writer (helper/state_file.h).
#include "state/state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "helper/state_file.h"

namespace vpnns {
namespace {

IpAddr ip(const char* t) { return *IpAddr::parse(t); }
Prefix prefix(const char* t) { return *Prefix::parse(t); }

InstanceState full_state() {
  InstanceState s;
  s.instance = "work";
  s.role = Role::kClient;
  s.helper_pid = 1234;
  s.helper_start_time = 98765;
  s.openvpn_pid = 1200;
  s.openvpn_uid = 65534;
  s.started_at = 1735689600;
  s.updated_at = 1735689601;
  s.last_event = StateEvent{"ROUTE_UP", true, "4 routes through tun0", 1735689601};
  StateNetns n;
  n.name = "work";
  n.created = true;
  n.dev = 4;
  n.ino = 4026532505;
  n.tunnel_up = true;
  n.device = StateDevice{"tun0", 3, 1500};
  n.addresses = {{ip("192.0.2.2"), 24, std::nullopt}, {ip("2001:db8:100::1000"), 64, std::nullopt}};
  n.routes = {{prefix("0.0.0.0/0"), std::nullopt, 0},
              {prefix("203.0.113.0/24"), ip("192.0.2.1"), 0},
              {prefix("::/0"), std::nullopt, 1024}};
  n.dns = DnsConfig{{ip("192.0.2.53")}, {"example.test"}};
  n.dns_pin = StateDnsPin{true, {ip("192.0.2.53")}};
  s.netns = n;
  s.seal = StateSeal{"vpnns-work", true, {ip("198.51.100.1")}, {0, 65534}, std::nullopt};
  s.client_sets = StateClientSets{"gw", 3, {{{"inet", "fw", "clients"}, 3, false}}};
  return s;
}

// The schema, written out: a change here is a change of the documented format (state.h).
TEST(StateSchema, Version1Document) {
  EXPECT_EQ(json_dump(state_to_json(full_state())),
            R"({"vpnns_state":1,"instance":"work","role":"client",)"
            R"("helper":{"pid":1234,"start_time":98765},"openvpn":{"pid":1200,"uid":65534},)"
            R"("started_at":1735689600,"updated_at":1735689601,)"
            R"("last_event":{"name":"ROUTE_UP","ok":true,"message":"4 routes through tun0",)"
            R"("at":1735689601},)"
            R"("netns":{"name":"work","created":true,"dev":4,"ino":4026532505,"tunnel":"up",)"
            R"("device":{"name":"tun0","ifindex":3,"mtu":1500},)"
            R"("addresses":[{"address":"192.0.2.2/24","peer":null},)"
            R"({"address":"2001:db8:100::1000/64","peer":null}],)"
            R"("routes":[{"dst":"0.0.0.0/0","gateway":null,"metric":0},)"
            R"({"dst":"203.0.113.0/24","gateway":"192.0.2.1","metric":0},)"
            R"({"dst":"::/0","gateway":null,"metric":1024}],)"
            R"("dns":{"servers":["192.0.2.53"],"search":["example.test"]},)"
            R"("dns_pin":{"table":"vpnns-dns","active":true,"servers":["192.0.2.53"]}},)"
            R"("seal":{"family":"inet","table":"vpnns-work","active":true,)"
            R"("servers":["198.51.100.1"],"accept":{"uids":[0,65534]}},)"
            R"("client_sets":{"netns":"gw","clients":3,)"
            R"("sets":[{"set":"inet/fw/clients","members":3,"interval":false}]}})");
}

TEST(StateSchema, NullWhereNothingApplies) {
  InstanceState s;
  s.instance = "x";
  s.role = Role::kServer;
  s.helper_pid = 2;
  s.openvpn_pid = 1;
  EXPECT_EQ(json_dump(state_to_json(s)),
            R"({"vpnns_state":1,"instance":"x","role":"server",)"
            R"("helper":{"pid":2,"start_time":0},"openvpn":{"pid":1,"uid":null},)"
            R"("started_at":0,"updated_at":0,"last_event":null,"netns":null,"seal":null,)"
            R"("client_sets":null})");
}

TEST(StateSchema, RoundTrips) {
  InstanceState s = full_state();
  InstanceState m = s;  // the same with the optional parts left out
  m.seal->mark = 42;
  m.seal->uids.clear();
  m.netns->device = StateDevice{"tun0", std::nullopt, std::nullopt};
  m.netns->tunnel_up = false;
  m.netns->addresses = {{ip("10.8.0.6"), 32, ip("10.8.0.5")}};
  m.netns->dns.reset();
  m.netns->dns_pin = StateDnsPin{false, {}};
  m.client_sets->netns.reset();
  m.last_event.reset();
  m.openvpn_uid.reset();
  for (const InstanceState& v : {s, m}) {
    auto json = json_parse(json_dump(state_to_json(v), true));
    ASSERT_TRUE(json);
    auto back = state_from_json(*json);
    ASSERT_TRUE(back) << back.error().text();
    EXPECT_EQ(*back, v);
  }
}

// dns_pin came after the first state files: a document without it reads as "no pin".
TEST(StateSchema, ReadsAnAbsentDnsPinAsNone) {
  InstanceState s = full_state();
  s.netns->dns_pin.reset();
  std::string text = json_dump(state_to_json(s));
  const std::string member = R"(,"dns_pin":null)";
  ASSERT_NE(text.find(member), std::string::npos);
  text.erase(text.find(member), member.size());
  auto json = json_parse(text);
  ASSERT_TRUE(json);
  auto back = state_from_json(*json);
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(*back, s);
}

TEST(StateSchema, CutsLongMessages) {
  InstanceState s = full_state();
  s.last_event->message = std::string(2000, 'x');
  auto back = state_from_json(state_to_json(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->last_event->message.size(), kStateMessageMax + 3);
}

TEST(StateSchema, IgnoresMembersItDoesNotKnow) {
  Json j = state_to_json(full_state());
  j["future_member"] = Json::array();
  EXPECT_TRUE(state_from_json(j));
}

// Replaces one member (by path) of the full document and expects `why` in the refusal.
void expect_refused(const std::vector<std::string>& path, Json value, const std::string& why) {
  Json doc = state_to_json(full_state());
  // Rebuild along the path.
  std::function<Json(const Json&, std::size_t)> patch = [&](const Json& at, std::size_t i) {
    if (i == path.size()) return value;
    Json copy = at;
    if (at.is_array()) {
      Json out = Json::array();
      for (std::size_t k = 0; k < at.size(); ++k) {
        out.push_back(std::to_string(k) == path[i] ? patch(at[k], i + 1) : at[k]);
      }
      return out;
    }
    const Json* child = json_find(at, path[i]);
    copy[path[i]] = child ? patch(*child, i + 1) : value;
    return copy;
  };
  auto got = state_from_json(patch(doc, 0));
  std::string shown;
  for (const auto& p : path) shown += p + ".";
  ASSERT_FALSE(got) << shown;
  EXPECT_NE(got.error().message().find(why), std::string::npos)
      << shown << ": " << got.error().message();
}

TEST(StateSchema, RefusesWhatItDidNotWrite) {
  EXPECT_FALSE(state_from_json(Json::array()));
  expect_refused({"vpnns_state"}, 2, "version 2");
  expect_refused({"vpnns_state"}, "1", "vpnns_state: expected an integer");
  expect_refused({"instance"}, "../etc", "instance: not an instance name");
  expect_refused({"instance"}, std::string(33, 'a'), "not an instance name");
  expect_refused({"role"}, "peer", "role: expected client or server");
  expect_refused({"helper", "pid"}, 0, "helper.pid: out of range");
  expect_refused({"helper", "pid"}, nullptr, "helper.pid: must not be null");
  expect_refused({"openvpn"}, nullptr, "openvpn: must not be null");
  expect_refused({"openvpn", "uid"}, -1, "openvpn.uid: out of range");
  expect_refused({"netns", "name"}, "a/b", "netns.name: not a namespace name");
  expect_refused({"netns", "tunnel"}, "sideways", "netns.tunnel: expected up or down");
  expect_refused({"netns", "device", "name"}, "tun 0", "netns.device.name: not an interface name");
  expect_refused({"netns", "addresses", "0", "address"}, "192.0.2.2", "not ADDRESS/LENGTH");
  expect_refused({"netns", "addresses", "1", "peer"}, "host.example", "not an IP address");
  expect_refused({"netns", "routes", "0", "metric"}, "0", "expected an integer");
  expect_refused({"netns", "routes"}, Json::object(), "netns.routes: expected an array");
  expect_refused({"netns", "dns", "search"}, Json::array({Json("bad name")}), "expected DNS names");
  expect_refused({"seal", "table"}, "filter", "not a vpnns table name");
  expect_refused({"seal", "family"}, "ip", "expected inet");
  expect_refused({"seal", "accept", "uids"}, Json::array({Json("root")}), "expected uids");
  expect_refused({"client_sets", "sets", "0", "set"}, "fw/clients", "not FAMILY/TABLE/SET");
  expect_refused({"client_sets", "clients"}, -3, "out of range");
  expect_refused({"last_event"}, 5, "last_event: expected an object");
}

// --- the helper's writer, in a directory of the test's own

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vpnns-state-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  }
  void TearDown() override { (void)!std::system(("rm -rf " + dir_).c_str()); }
  std::string read(const std::string& name) const {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

TEST_F(StateFileTest, WritesAtomicallyAndRemoves) {
  auto file = StateFile::open("work", dir_);
  ASSERT_TRUE(file) << file.error().text();
  InstanceState s = full_state();
  ASSERT_TRUE(file->write(s));
  s.openvpn_uid = 1000;
  ASSERT_TRUE(file->write(s));
  auto json = json_parse(read("work.json"));
  ASSERT_TRUE(json);
  EXPECT_EQ(state_from_json(*json).value(), s);
  struct stat st = {};
  ASSERT_EQ(::stat((dir_ + "/work.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);  // root and group vpnns (state.h)
  EXPECT_NE(::access((dir_ + "/.work.json.tmp").c_str(), F_OK), 0);
  file->remove();
  EXPECT_NE(::access((dir_ + "/work.json").c_str(), F_OK), 0);
  file->remove();                // idempotent
  EXPECT_FALSE(file->write(s));  // removed means done
}

// The readers' group comes from the directory (state_file.h): made setgid that group, so the
// files created in it are that group's, 0640. (The test's own group: no privilege needed.)
TEST_F(StateFileTest, TheReadersGroupComesFromTheDirectory) {
  const gid_t readers = ::getegid();
  auto file = StateFile::open("work", dir_, readers);
  ASSERT_TRUE(file) << file.error().text();
  EXPECT_EQ(file->warning(), "");
  ASSERT_TRUE(file->write(full_state()));
  struct stat st = {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 02755u);
  EXPECT_EQ(st.st_gid, readers);
  ASSERT_EQ(::stat((dir_ + "/work.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_gid, readers);
  // Reopened (the next helper): the directory is left as it is.
  EXPECT_TRUE(StateFile::open("work", dir_, readers));
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 02755u);
}

TEST_F(StateFileTest, ReplacesTheFileOfAHelperThatIsGone) {
  {
    std::ofstream stale(dir_ + "/work.json");
    InstanceState dead = full_state();
    dead.helper_pid = 4'000'000;  // above any pid_max in use
    stale << json_dump(state_to_json(dead));
    std::ofstream tmp(dir_ + "/.work.json.tmp");
    tmp << "half";
  }
  auto file = StateFile::open("work", dir_);
  ASSERT_TRUE(file) << file.error().text();
  ASSERT_TRUE(file->write(full_state()));
  EXPECT_EQ(state_from_json(*json_parse(read("work.json"))).value(), full_state());
}

TEST_F(StateFileTest, RefusesADirectoryOthersCanWrite) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0775), 0);
  auto file = StateFile::open("work", dir_);
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message().find("writable by root alone"), std::string::npos);
}

}  // namespace
}  // namespace vpnns
