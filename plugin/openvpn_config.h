// SPDX-License-Identifier: GPL-2.0-or-later
// openvpn's own configuration, as far as vpnns must know it at open time, and what vpnns asks of
// it on openvpn 2.7.
//
// openvpn does not tell a plugin its options. Yet on 2.7 one of them decides whether the host's
// DNS survives netns mode: unless the configuration says otherwise, 2.7 runs its default
// dns-updown command, which writes the VPN's DNS servers into the *host's* resolv.conf — servers
// the host cannot even reach, since the tunnel lives in another namespace (OPENVPN-FACTS.md
// section 10). So the plugin reads the configuration the way openvpn did: its command line
// (/proc/self/cmdline: `--name args...`, or one configuration file) and every file named by
// `config`, with openvpn's quoting, comments and inline <blocks>. It keeps only the few options
// below; the last occurrence wins, as in openvpn. This runs as root before any network input,
// on files openvpn itself has just read: trusted input, parsed only to be checked.
//
// check_openvpn_config() then stops openvpn at start (with the line to add) when 2.7's default
// dns-updown would run in netns mode, or vpnns-dns-updown lacks `script-security 2`; and, in
// netns and seal mode, when a dns-updown command would run after a chroot without a tmp-dir
// inside the jail that openvpn's `user` can write (2.7 then exits at the first restart). It
// warns when the jail has no /dev/net/tun (a server's PUSH_UPDATE makes 2.7 reopen the tun).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/error.h"

namespace vpnns {

struct OpenvpnOptions {
  std::optional<std::string> dns_updown;  // last --dns-updown: "disable", "force" or a command
  bool up_script = false;                 // --up is set
  int script_security = 1;                // --script-security (openvpn's default is 1)
  std::optional<std::string> chroot;
  std::optional<std::string> user;
  std::optional<std::string> tmp_dir;
  // A server's pools and limit (openvpn_server.h): `server NETWORK NETMASK`, `server-ipv6
  // NETWORK/BITS`, `max-clients N`, as written.
  std::optional<std::pair<std::string, std::string>> server;
  std::optional<std::string> server_ipv6;
  std::optional<std::string> max_clients;
};

// Reads a configuration file's text (openvpn's cwd applies to relative paths).
using FileReader = std::function<Result<std::string>(const std::string& path)>;

// `argv` is openvpn's whole command line, argv[0] included.
Result<OpenvpnOptions> parse_openvpn_command_line(const std::vector<std::string>& argv,
                                                  const FileReader& read_file);

// The lines of one configuration file, tokenized as openvpn does (for the tests).
std::vector<std::vector<std::string>> tokenize_config(const std::string& text);

// What openvpn `version` (major, minor) with these options means for vpnns with `config`:
// an Error that names the lines to add, or warnings to log.
struct OpenvpnCheck {
  std::vector<std::string> warnings;
};
// What the check asks of the host: whether `user` may create files in `dir`, whether `path`
// exists (paths on the host).
struct HostView {
  std::function<Result<bool>(const std::string& dir, const std::string& user)> tmp_writable;
  std::function<bool(const std::string& path)> exists;
};
// `dns_updown_path`: vpnns-dns-updown as installed beside the helper.
Result<OpenvpnCheck> check_openvpn_config(const OpenvpnOptions& options, unsigned major,
                                          unsigned minor, const Config& config,
                                          const std::string& dns_updown_path, const HostView& host);

// openvpn's options as its /proc/self/cmdline and files say.
Result<OpenvpnOptions> read_running_openvpn();

// The real thing: openvpn's /proc/self/cmdline and files, and a check of the jail's tmp-dir.
Result<OpenvpnCheck> check_running_openvpn(unsigned major, unsigned minor, const Config& config,
                                           const std::string& dns_updown_path);

}  // namespace vpnns
