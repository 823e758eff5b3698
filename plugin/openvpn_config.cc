// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin/openvpn_config.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

namespace vpnns {
namespace {

constexpr int kMaxConfigDepth = 10;  // openvpn's own limit on nested `config`

bool space(char c) { return c == '\0' || std::isspace(static_cast<unsigned char>(c)) != 0; }

// One line, as openvpn's parse_line() splits it: blanks separate, "double" and 'single' quotes
// group, a backslash escapes (not inside single quotes), ';' or '#' at a token's start ends it.
std::vector<std::string> tokenize_line(std::string_view line) {
  enum { kInitial, kQuoted, kUnquoted, kSingle } state = kInitial;
  std::vector<std::string> out;
  std::string parm;
  bool backslash = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    const char in = i < line.size() ? line[i] : '\0';
    if (!backslash && in == '\\' && state != kSingle) {
      backslash = true;
      continue;
    }
    char ch = 0;
    bool done = false;
    if (state == kInitial) {
      if (!space(in)) {
        if (in == ';' || in == '#') break;
        if (!backslash && in == '"') {
          state = kQuoted;
        } else if (!backslash && in == '\'') {
          state = kSingle;
        } else {
          ch = in;
          state = kUnquoted;
        }
      }
    } else if (state == kUnquoted) {
      if (!backslash && space(in)) {
        done = true;
      } else {
        ch = in;
      }
    } else if (state == kQuoted) {
      if (!backslash && in == '"') {
        done = true;
      } else {
        ch = in;
      }
    } else if (in == '\'') {
      done = true;
    } else {
      ch = in;
    }
    backslash = false;
    if (ch != 0) parm.push_back(ch);
    if (done) {
      out.push_back(std::move(parm));
      parm.clear();
      state = kInitial;
    }
    if (in == '\0') break;
  }
  return out;
}

struct Reader {
  const FileReader& read_file;
  OpenvpnOptions options;

  Status option(std::vector<std::string> p, int depth) {
    if (p.empty()) return ok_status();
    std::string& name = p[0];
    if (name.starts_with("--")) name.erase(0, 2);
    const std::string arg = p.size() > 1 ? p[1] : std::string();
    if (name == "config" && p.size() > 1) return file(arg, depth + 1);
    if (name == "dns-updown" && p.size() > 1) {
      // openvpn: `force` does not override a command set before it.
      if (arg != "force" || !options.dns_updown || *options.dns_updown == "disable") {
        options.dns_updown = arg;
      }
    } else if (name == "up" && p.size() > 1) {
      options.up_script = true;
    } else if (name == "script-security" && p.size() > 1) {
      int level = 0;
      auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), level);
      if (ec == std::errc() && end == arg.data() + arg.size()) options.script_security = level;
    } else if (name == "chroot" && p.size() > 1) {
      options.chroot = arg;
    } else if (name == "user" && p.size() > 1) {
      options.user = arg;
    } else if (name == "tmp-dir" && p.size() > 1) {
      options.tmp_dir = arg;
    } else if (name == "server" && p.size() > 2) {
      options.server = std::pair{arg, p[2]};
    } else if (name == "server-ipv6" && p.size() > 1) {
      options.server_ipv6 = arg;
    } else if (name == "max-clients" && p.size() > 1) {
      options.max_clients = arg;
    }
    return ok_status();
  }

  Status file(const std::string& path, int depth) {
    if (depth > kMaxConfigDepth) {
      return Error(Code::kInvalidArgument, "configuration files nested deeper than " +
                                               std::to_string(kMaxConfigDepth) + " at " + path);
    }
    VPNNS_ASSIGN_OR_RETURN(std::string text, read_file(path));
    std::optional<std::string> inline_end;  // inside <tag> ... </tag>
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (inline_end) {
        if (line.find(*inline_end) != std::string::npos) inline_end.reset();
        continue;
      }
      auto p = tokenize_line(line);
      if (p.empty()) continue;
      if (p[0].size() > 2 && p[0].front() == '<' && p[0].back() == '>' && p[0][1] != '/') {
        inline_end = "</" + p[0].substr(1);
        continue;
      }
      VPNNS_TRY(option(std::move(p), depth));
    }
    return ok_status();
  }
};

}  // namespace

std::vector<std::vector<std::string>> tokenize_config(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto p = tokenize_line(line);
    if (!p.empty()) out.push_back(std::move(p));
  }
  return out;
}

Result<OpenvpnOptions> parse_openvpn_command_line(const std::vector<std::string>& argv,
                                                  const FileReader& read_file) {
  Reader r{read_file, {}};
  // openvpn FILE: one argument that is not an option is a configuration file.
  if (argv.size() == 2 && !argv[1].starts_with("--")) {
    VPNNS_TRY(r.file(argv[1], 1));
    return r.options;
  }
  std::vector<std::string> p;
  for (std::size_t i = 1; i <= argv.size(); ++i) {
    if (i == argv.size() || argv[i].starts_with("--")) {
      VPNNS_TRY(r.option(std::move(p), 0));
      p.clear();
    }
    if (i < argv.size()) p.push_back(argv[i]);
  }
  return r.options;
}

namespace {

// With `user` + `chroot`, a path inside the jail as the host sees it.
std::string in_jail(const std::string& jail_dir, const std::string& path) {
  std::string jail = jail_dir;
  while (jail.size() > 1 && jail.back() == '/') jail.pop_back();
  return (jail == "/" ? "" : jail) + (path.starts_with("/") ? path : "/" + path);
}

}  // namespace

Result<OpenvpnCheck> check_openvpn_config(const OpenvpnOptions& o, unsigned major, unsigned minor,
                                          const Config& config, const std::string& dns_updown_path,
                                          const HostView& host) {
  OpenvpnCheck out;
  // Before 2.7 there is no dns-updown and no PUSH_UPDATE; a server's DNS is not pushed to it.
  if (major < 2 || (major == 2 && minor < 7) || !(config.netns_mode() || config.seal)) return out;

  const std::string add_lines = "'script-security 2' and 'dns-updown " + dns_updown_path + "'";
  const std::string updown = o.dns_updown.value_or("");
  if (config.netns_mode()) {
    if (updown == "disable") {
      if (config.dns != DnsMode::kNo) {
        out.warnings.push_back(
            "openvpn 2.7 with 'dns-updown disable': the namespace gets pushed DNS only while the "
            "server pushes no 'dns' options; for all of it use " +
            add_lines + " instead");
      }
    } else if (updown == dns_updown_path) {
      if (o.script_security < 2) {
        return Error(Code::kInvalidArgument,
                     "openvpn 2.7 runs 'dns-updown " + dns_updown_path +
                         "' only with 'script-security 2' (or higher): add it to the openvpn "
                         "configuration");
      }
    } else if (!updown.empty() && updown != "force") {
      out.warnings.push_back("dns-updown '" + updown +
                             "' is not vpnns's: it sees the host's files and may change the "
                             "host's DNS; the namespace gets no DNS from it (use " +
                             add_lines + ")");
    } else if (!(updown.empty() && o.up_script)) {
      // (With an --up script and no dns-updown line openvpn runs no dns-updown and keeps DNS in
      // foreign_option_*, where the plugin sees it.)
      return Error(
          Code::kInvalidArgument,
          std::string("openvpn ") + std::to_string(major) + "." + std::to_string(minor) +
              (updown == "force" ? " with 'dns-updown force'" : "") +
              " would run its default dns-updown script, which writes the VPN's DNS servers into "
              "the host's resolv.conf although the tunnel lives in network namespace '" +
              config.netns + "': add " + add_lines +
              " to the openvpn configuration (the namespace then gets the VPN's DNS), or "
              "'dns-updown disable'");
    }
  }

  // Whether a dns-updown command runs at all (options.c, dns.c: not with `disable`, and the
  // default not when there is an --up script). In seal mode the tunnel is the host's, and 2.7's
  // default command setting the host's DNS is what a full tunnel wants: only its jail matters.
  const bool jailed = o.chroot && o.user;
  const bool runs = updown != "disable" && !(updown.empty() && o.up_script);
  if (runs && jailed) {
    // After the chroot, openvpn hands each restart's DNS to the command through a file it
    // creates in tmp-dir, inside the jail, as `user`; if it cannot, openvpn exits.
    const std::string tmp = o.tmp_dir.value_or("/tmp");
    const std::string dir = in_jail(*o.chroot, tmp);
    VPNNS_ASSIGN_OR_RETURN(bool ok, host.tmp_writable(dir, *o.user));
    if (!ok) {
      return Error(Code::kInvalidArgument,
                   "openvpn 2.7 writes the DNS values of every restart to a file in its tmp-dir '" +
                       tmp + "', inside the chroot, and exits if it cannot: " + dir +
                       " must be a directory that user '" + *o.user +
                       "' can write (for example: mkdir -m 700 " + dir + " && chown " + *o.user +
                       " " + dir + "), or set tmp-dir to one");
    }
  }
  if (jailed && !host.exists(in_jail(*o.chroot, "/dev/net/tun"))) {
    // PUSH_UPDATE makes a 2.7 client close and reopen its tun, inside the jail.
    const std::string tun = in_jail(*o.chroot, "/dev/net/tun");
    out.warnings.push_back(
        "openvpn 2.7 reopens the tun inside the chroot when the server sends PUSH_UPDATE, and "
        "exits if it cannot: if the server uses it, create " +
        tun + " (mkdir -p " + in_jail(*o.chroot, "/dev/net") + " && mknod -m 666 " + tun +
        " c 10 200)");
  }
  return out;
}

Result<OpenvpnOptions> read_running_openvpn() {
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  std::string word;
  while (std::getline(cmdline, word, '\0')) argv.push_back(word);
  const FileReader read = [](const std::string& path) -> Result<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return sys_error("cannot read openvpn's configuration file " + path +
                           " (run openvpn with an absolute --config path)",
                       errno);
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  return parse_openvpn_command_line(argv, read);
}

Result<OpenvpnCheck> check_running_openvpn(unsigned major, unsigned minor, const Config& config,
                                           const std::string& dns_updown_path) {
  if (major < 2 || (major == 2 && minor < 7) || !(config.netns_mode() || config.seal)) {
    return OpenvpnCheck{};
  }
  VPNNS_ASSIGN_OR_RETURN(OpenvpnOptions options, read_running_openvpn());
  const auto writable = [](const std::string& dir, const std::string& user) -> Result<bool> {
    struct stat st = {};
    if (::stat(dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) return false;
    if ((st.st_mode & S_IWOTH) != 0) return true;
    uid_t uid = 0;
    if (const passwd* pw = ::getpwnam(user.c_str()); pw != nullptr) {
      uid = pw->pw_uid;
    } else {
      unsigned long n = 0;
      auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), n);
      if (ec != std::errc() || end != user.data() + user.size()) return false;
      uid = static_cast<uid_t>(n);
    }
    return st.st_uid == uid && (st.st_mode & S_IWUSR) != 0 && (st.st_mode & S_IXUSR) != 0;
  };
  const auto exists = [](const std::string& path) {
    struct stat st = {};
    return ::stat(path.c_str(), &st) == 0;
  };
  return check_openvpn_config(options, major, minor, config, dns_updown_path,
                              HostView{writable, exists});
}

}  // namespace vpnns
