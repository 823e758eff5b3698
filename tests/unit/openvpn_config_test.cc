// SPDX-License-Identifier: GPL-2.0-or-later
// openvpn's configuration as the plugin reads it at open (plugin/openvpn_config.h): openvpn's
// tokenizer, files and command lines, and what vpnns asks of a 2.7 configuration in netns mode.
#include "plugin/openvpn_config.h"

#include <gtest/gtest.h>

#include <map>

namespace vpnns {
namespace {

using Words = std::vector<std::string>;

constexpr const char* kCmd = "/usr/libexec/vpnns/vpnns-dns-updown";

FileReader files(std::map<std::string, std::string> contents) {
  return [contents = std::move(contents)](const std::string& path) -> Result<std::string> {
    auto it = contents.find(path);
    if (it == contents.end()) return Error(Code::kNotFound, "no file " + path);
    return it->second;
  };
}

TEST(OpenvpnConfig, TokenizesLikeOpenvpn) {
  auto lines = tokenize_config(
      "  dns-updown \"/a b/c\"  # comment\n"
      "; a comment line\n"
      "up 'x \"y\"' z\\ w\n"
      "setenv a\\\"b c\n"
      "\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], (Words{"dns-updown", "/a b/c"}));
  EXPECT_EQ(lines[1], (Words{"up", "x \"y\"", "z w"}));
  EXPECT_EQ(lines[2], (Words{"setenv", "a\"b", "c"}));
}

TEST(OpenvpnConfig, ReadsFilesAndCommandLines) {
  const auto read = files({
      {"/etc/openvpn/c.conf",
       "client\n--dns-updown /x\nconfig /etc/openvpn/more.conf\n<ca>\ndns-updown inline\n</ca>\n"
       "script-security 2\nchroot /srv/jail\nuser nobody\n"},
      {"/etc/openvpn/more.conf", "up /bin/up\ntmp-dir /t\n"},
  });
  auto one = parse_openvpn_command_line({"openvpn", "/etc/openvpn/c.conf"}, read);
  ASSERT_TRUE(one.ok()) << one.error().message();
  EXPECT_EQ(one->dns_updown, "/x");  // not the one inside <ca>
  EXPECT_TRUE(one->up_script);
  EXPECT_EQ(one->script_security, 2);
  EXPECT_EQ(one->chroot, "/srv/jail");
  EXPECT_EQ(one->user, "nobody");
  EXPECT_EQ(one->tmp_dir, "/t");

  // --options on the command line, after the file: the last one wins.
  auto cli = parse_openvpn_command_line({"openvpn", "--config", "/etc/openvpn/c.conf",
                                         "--dns-updown", "disable", "--script-security", "3"},
                                        read);
  ASSERT_TRUE(cli.ok());
  EXPECT_EQ(cli->dns_updown, "disable");
  EXPECT_EQ(cli->script_security, 3);

  // `force` does not replace a command given before it (openvpn's own rule).
  auto force =
      parse_openvpn_command_line({"openvpn", "--dns-updown", "/x", "--dns-updown", "force"}, read);
  EXPECT_EQ(force->dns_updown, "/x");

  EXPECT_FALSE(parse_openvpn_command_line({"openvpn", "/missing.conf"}, read).ok());
  const auto loop = files({{"/l.conf", "config /l.conf\n"}});
  EXPECT_FALSE(parse_openvpn_command_line({"openvpn", "/l.conf"}, loop).ok());
}

OpenvpnOptions updown(const std::string& value) {
  OpenvpnOptions o;
  o.dns_updown = value;
  return o;
}

Config netns_config() {
  Config c;
  c.netns = "work";
  c.dns = DnsMode::kYes;
  return c;
}

TEST(OpenvpnConfig, Openvpn27NetnsModeNeedsVpnnsDnsUpdown) {
  const auto no = [](const std::string&) { return false; };
  const auto yes = [](const std::string&) { return true; };
  const HostView never{[](const std::string&, const std::string&) -> Result<bool> { return false; },
                       yes};
  const HostView always{[](const std::string&, const std::string&) -> Result<bool> { return true; },
                        yes};
  OpenvpnOptions defaults;

  // 2.6 has no dns-updown; seal mode leaves the host's DNS to openvpn on purpose ...
  EXPECT_TRUE(check_openvpn_config(defaults, 2, 6, netns_config(), kCmd, never).ok());
  Config seal;
  seal.seal = true;
  EXPECT_TRUE(check_openvpn_config(defaults, 2, 7, seal, kCmd, never).ok());
  // ... but after a chroot 2.7's own dns-updown needs the jail's tmp (else it exits at a restart).
  OpenvpnOptions jailed;
  jailed.chroot = "/srv/jail";
  jailed.user = "nobody";
  EXPECT_FALSE(check_openvpn_config(jailed, 2, 7, seal, kCmd, never).ok());
  EXPECT_TRUE(check_openvpn_config(jailed, 2, 7, seal, kCmd, always).ok());
  jailed.dns_updown = "disable";
  EXPECT_TRUE(check_openvpn_config(jailed, 2, 7, seal, kCmd, never).ok());
  // No /dev/net/tun in the jail: PUSH_UPDATE would end openvpn; a warning says so.
  auto no_tun = check_openvpn_config(jailed, 2, 7, seal, kCmd, HostView{always.tmp_writable, no});
  ASSERT_TRUE(no_tun.ok());
  ASSERT_EQ(no_tun->warnings.size(), 1u);
  EXPECT_NE(no_tun->warnings[0].find("/srv/jail/dev/net/tun"), std::string::npos);

  // 2.7's default dns-updown would rewrite the host's DNS: stop, naming the lines to add.
  auto r = check_openvpn_config(defaults, 2, 7, netns_config(), kCmd, never);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find(std::string("dns-updown ") + kCmd), std::string::npos);
  EXPECT_NE(r.error().message().find("script-security 2"), std::string::npos);
  EXPECT_FALSE(check_openvpn_config(updown("force"), 2, 8, netns_config(), kCmd, never).ok());

  // An --up script keeps the default away (and DNS in foreign_option_*).
  OpenvpnOptions up;
  up.up_script = true;
  EXPECT_TRUE(check_openvpn_config(up, 2, 7, netns_config(), kCmd, never).ok());
  // disable: the host is safe; the namespace may miss `dns` pushes, which a warning says.
  auto off = check_openvpn_config(updown("disable"), 2, 7, netns_config(), kCmd, never);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->warnings.size(), 1u);
  // Somebody else's command: allowed, with a warning.
  auto other =
      check_openvpn_config(updown("/usr/local/bin/mine"), 2, 7, netns_config(), kCmd, never);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->warnings.size(), 1u);

  // vpnns's command needs script-security 2 ...
  OpenvpnOptions ours = updown(kCmd);
  auto low = check_openvpn_config(ours, 2, 7, netns_config(), kCmd, never);
  ASSERT_FALSE(low.ok());
  EXPECT_NE(low.error().message().find("script-security 2"), std::string::npos);
  ours.script_security = 2;
  EXPECT_TRUE(check_openvpn_config(ours, 2, 7, netns_config(), kCmd, never).ok());
  // ... and, chrooted as a user, a tmp-dir in the jail that the user can write.
  ours.chroot = "/srv/jail/";
  ours.user = "nobody";
  std::string asked;
  const HostView asking{[&](const std::string& dir, const std::string&) -> Result<bool> {
                          asked = dir;
                          return false;
                        },
                        yes};
  auto jail = check_openvpn_config(ours, 2, 7, netns_config(), kCmd, asking);
  ASSERT_FALSE(jail.ok());
  EXPECT_EQ(asked, "/srv/jail/tmp");
  EXPECT_NE(jail.error().message().find("/srv/jail/tmp"), std::string::npos);
  EXPECT_TRUE(check_openvpn_config(ours, 2, 7, netns_config(), kCmd, always).ok());
}

}  // namespace
}  // namespace vpnns
