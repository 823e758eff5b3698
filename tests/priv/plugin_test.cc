// SPDX-License-Identifier: GPL-2.0-or-later
// vpnns.so through openvpn's plugin ABI (dlopen, open_v3, func_v3, close_v1), as root in the
// fixture's throw-away namespace: what reaches openvpn's log, and the return codes openvpn acts
// on.
#include <openvpn/openvpn-plugin.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <regex>

#include "tests/priv/fixture.h"
#include "tests/support/plugin_host.h"

namespace vpnns::testing {
namespace {

class PluginTest : public HelperTest {
 protected:
  void SetUp() override {
    HelperTest::SetUp();
    PluginHost::clear_log();
  }

  static bool logged(const std::string& needle) {
    const auto& log = PluginHost::log();
    return std::any_of(log.begin(), log.end(),
                       [&](const std::string& l) { return l.find(needle) != std::string::npos; });
  }
  static std::string all_log() {
    std::string out;
    for (const auto& l : PluginHost::log()) out += l + "\n";
    return out;
  }
  // The helper's pid, from the plugin's start-up line.
  static pid_t helper_pid_from_log() {
    std::smatch m;
    for (const auto& l : PluginHost::log()) {
      if (std::regex_search(l, m, std::regex("helper pid ([0-9]+) started"))) {
        return static_cast<pid_t>(std::stol(m[1]));
      }
    }
    return -1;
  }

  std::vector<std::string> up_env() const {
    return {"dev=" + tun_name_,
            "tun_mtu=1500",
            "script_context=init",
            "ifconfig_local=192.0.2.2",
            "ifconfig_netmask=255.255.255.0",
            "trusted_ip=198.51.100.1",
            "trusted_port=1194"};
  }
  std::vector<std::string> up_argv() const {
    return {tun_name_, "1500", "0", "192.0.2.2", "255.255.255.0", "init"};
  }
};

TEST_F(PluginTest, EventMaskFollowsTheConfiguration) {
  {
    PluginHost host(VPNNS_TEST_PLUGIN,
                    {"netns=" + target_, std::string("helper=") + VPNNS_TEST_HELPER});
    const int m = host.type_mask();
    EXPECT_TRUE(m & OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_UP));
    EXPECT_TRUE(m & OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_ROUTE_UP));
    EXPECT_TRUE(m & OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_ROUTE_PREDOWN));
    EXPECT_TRUE(m & OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_DOWN));
    EXPECT_FALSE(m & OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_IPCHANGE));
    // Never: declaring it makes even a client demand a password from its server.
    EXPECT_FALSE(m & OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY));
  }
  PluginHost seal(VPNNS_TEST_PLUGIN,
                  {std::string("helper=") + VPNNS_TEST_HELPER, "instance=" + instance_});
  EXPECT_TRUE(seal.type_mask() & OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_IPCHANGE));
  EXPECT_FALSE(seal.type_mask() & OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY));
}

TEST_F(PluginTest, RefusesToLoadUnprivileged) {
  // What a SIGHUP does: openvpn re-opens its plugins inside the chroot as its `user`.
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) ::_exit(3);
    try {
      PluginHost host(VPNNS_TEST_PLUGIN, {"netns=" + target_});
      ::_exit(1);  // it loaded
    } catch (const std::exception& e) {
      const std::string why = e.what();
      ::_exit(why.find("loaded without root privileges") != std::string::npos &&
                      why.find("SIGHUP is not supported") != std::string::npos
                  ? 0
                  : 2);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: it loaded; 2: wrong message; 3: setuid failed";
}

TEST_F(PluginTest, EventsReachTheHelperAndComeBackInTheLog) {
  PluginHost host(VPNNS_TEST_PLUGIN,
                  {"netns=" + target_, std::string("helper=") + VPNNS_TEST_HELPER});
  EXPECT_EQ(host.call(OPENVPN_PLUGIN_UP, up_argv(), up_env()), OPENVPN_PLUGIN_FUNC_SUCCESS)
      << all_log();
  EXPECT_TRUE(logged("PLUGIN vpnns: UP: " + tun_name_ + " moved into network namespace"))
      << all_log();
  // A malformed value never reaches the helper; the event fails with the variable named.
  std::vector<std::string> bad = up_env();
  bad.push_back("route_network_1=203.0.113.0");
  bad.push_back("route_netmask_1=255.0.255.0");
  EXPECT_EQ(host.call(OPENVPN_PLUGIN_ROUTE_UP, {}, bad), OPENVPN_PLUGIN_FUNC_ERROR);
  EXPECT_TRUE(logged("event refused before it reached the helper: route_netmask_1='255.0.255.0'"))
      << all_log();
  // A refusal by the helper: its reason, with the code.
  std::vector<std::string> unreachable = up_env();
  unreachable.push_back("route_network_1=203.0.113.0");
  unreachable.push_back("route_netmask_1=255.255.255.0");
  unreachable.push_back("route_gateway_1=198.51.100.77");
  EXPECT_EQ(host.call(OPENVPN_PLUGIN_ROUTE_UP, {}, unreachable), OPENVPN_PLUGIN_FUNC_ERROR);
  EXPECT_TRUE(
      logged("ROUTE_UP refused (invalid argument): route 203.0.113.0/24 gateway "
             "198.51.100.77 is not reachable through the tunnel"))
      << all_log();
}

TEST_F(PluginTest, EveryEventFailsCleanlyOnceTheHelperIsGone) {
  // A SIGKILLed helper leaves its state file behind (vpnnsctl reset is for that): removed here.
  struct StateFileGuard {
    std::string path;
    ~StateFileGuard() { (void)::unlink(path.c_str()); }
  } state_file{"/run/vpnns/" + instance_ + ".json"};
  PluginHost host(VPNNS_TEST_PLUGIN, {"netns=" + target_, "instance=" + instance_,
                                      std::string("helper=") + VPNNS_TEST_HELPER});
  ASSERT_EQ(host.call(OPENVPN_PLUGIN_UP, up_argv(), up_env()), OPENVPN_PLUGIN_FUNC_SUCCESS);
  const pid_t helper = helper_pid_from_log();
  ASSERT_GT(helper, 0) << all_log();
  EXPECT_EQ(::access(state_file.path.c_str(), F_OK), 0) << "no state file " << state_file.path;
  ::kill(helper, SIGKILL);
  EXPECT_EQ(host.call(OPENVPN_PLUGIN_ROUTE_UP, {}, up_env()), OPENVPN_PLUGIN_FUNC_ERROR);
  EXPECT_TRUE(logged("ROUTE_UP failed: the helper is gone: peer closed the connection"))
      << all_log();
  EXPECT_TRUE(logged("it was killed by signal SIGKILL")) << all_log();
  EXPECT_EQ(host.call(OPENVPN_PLUGIN_ROUTE_PREDOWN, up_argv(), up_env()),
            OPENVPN_PLUGIN_FUNC_ERROR);
  EXPECT_EQ(host.call(OPENVPN_PLUGIN_DOWN, up_argv(), up_env()), OPENVPN_PLUGIN_FUNC_ERROR);
  EXPECT_TRUE(logged("DOWN failed: the helper is gone; it was killed by signal SIGKILL"))
      << all_log();
}

}  // namespace
}  // namespace vpnns::testing
