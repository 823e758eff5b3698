// SPDX-License-Identifier: GPL-2.0-or-later
// vpnns-dns-updown: openvpn 2.7's --dns-updown command for vpnns's netns mode.
//
// openvpn 2.7 shows pushed DNS (`dns ...`, and `dhcp-option DNS/DOMAIN...` once --dns or
// --dns-updown is in play) only to its dns-updown command, never to plugins, and its default
// command rewrites the *host's* DNS (OPENVPN-FACTS.md section 10). With
//     script-security 2
//     dns-updown /usr/libexec/vpnns/vpnns-dns-updown
// openvpn runs this program instead — as root: itself at a connect before the privilege drop, and
// after the drop through the root "runner" child it forked before it — and this program hands the
// values to the vpnns helper of the same openvpn, which validates them like ROUTE_UP's and writes
// them into the namespace (helper/updown_socket.h). Nothing of the host's DNS is touched.
//
// Where the values are: with `user`, openvpn writes them to a file in its tmp-dir and the runner
// passes its name in `dns_vars_file`; after the chroot that name is a path inside the jail, so it
// is opened under /proc/OPENVPN/root, without following links, and only if it is a regular file
// owned by openvpn's current uid (a compromised openvpn can name no file it could not write
// itself); only dev, script_type and dns_* lines are read, and the file is removed after. Without
// `user`, the values are in this program's environment.
//
// Which helper: the one whose socket is named after one of this program's ancestors (openvpn is
// the parent or the grandparent). Before anything from the file is parsed every capability is
// dropped; the helper checks the caller again (root, a descendant of its openvpn).
//
// Exit status: 0 when the helper took the values, 1 otherwise; messages go to stdout/stderr, which
// openvpn's log receives.
#include <cap-ng.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "helper_ipc/channel.h"
#include "helper_ipc/wire.h"
#include "plugin/envp.h"
#include "state/process_info.h"

extern char** environ;

namespace vpnns {
namespace {

constexpr const char* kProg = "vpnns-dns-updown";
constexpr std::size_t kMaxVarsFile = 64 * 1024;
constexpr std::size_t kMaxVars = 1024;
constexpr int kReplyTimeoutMs = 10000;

struct Caller {
  pid_t openvpn = 0;
  UniqueFd socket;
};

// Connects to the helper of the nearest ancestor that has a socket.
Result<Caller> connect_helper() {
  pid_t pid = ::getppid();
  std::string tried;
  for (int generation = 0; generation < 3 && pid > 1; ++generation) {
    const std::string path = dns_updown_socket_path(pid);
    struct stat st = {};
    if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
      if (!fd) return sys_error("socket", errno);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
      if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
        return sys_error("connecting to the vpnns helper at " + path, errno);
      }
      return Caller{pid, std::move(fd)};
    }
    tried += (tried.empty() ? "" : ", ") + path;
    auto info = process_info(pid);
    if (!info) break;
    pid = info->ppid;
  }
  return Error(Code::kUnavailable,
               "no vpnns helper of this openvpn is listening (looked for " + tried +
                   "): is vpnns.so loaded with netns=NAME in this openvpn's configuration?");
}

// The effective uid of process `pid` (the "Uid:" line of /proc/PID/status, second field).
std::optional<uid_t> effective_uid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("Uid:")) continue;
    std::istringstream fields(line.substr(4));
    unsigned long real = 0, effective = 0;
    if (fields >> real >> effective) return static_cast<uid_t>(effective);
  }
  return std::nullopt;
}

int open_in_root(int root, const std::string& path, std::uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how));
}

// The text of openvpn's dns vars file, resolved in openvpn's root (its chroot jail, if any),
// removed once read.
Result<std::string> read_vars_file(pid_t openvpn, const std::string& path) {
  if (path.empty() || path[0] != '/' || path.find("/../") != std::string::npos) {
    return Error(Code::kInvalidArgument, "dns_vars_file '" + path +
                                             "' is not an absolute path (give openvpn an "
                                             "absolute tmp-dir)");
  }
  UniqueFd root(::open(("/proc/" + std::to_string(openvpn) + "/root").c_str(),
                       O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return sys_error("opening openvpn's root directory", errno);
  UniqueFd file(open_in_root(root.get(), path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (!file) return sys_error("opening dns_vars_file " + path + " in openvpn's root", errno);
  struct stat st = {};
  if (::fstat(file.get(), &st) < 0) return sys_error("fstat " + path, errno);
  const auto owner = effective_uid(openvpn);
  if (!S_ISREG(st.st_mode) || !owner || st.st_uid != *owner ||
      static_cast<std::size_t>(st.st_size) > kMaxVarsFile) {
    return Error(Code::kPermissionDenied,
                 "dns_vars_file " + path +
                     " is not a regular file of at most 64 KiB owned by openvpn's user; not read");
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(file.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("reading " + path, errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  // openvpn's runner removes the name it was given, which after a chroot names another file
  // outside the jail: remove the one that was read, if it is still that one.
  const auto slash = path.rfind('/');
  UniqueFd dir(
      open_in_root(root.get(), slash == 0 ? "/" : path.substr(0, slash), O_PATH | O_DIRECTORY));
  struct stat now = {};
  const std::string base = path.substr(slash + 1);
  if (dir && ::fstatat(dir.get(), base.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 &&
      now.st_dev == st.st_dev && now.st_ino == st.st_ino) {
    (void)::unlinkat(dir.get(), base.c_str(), 0);
  }
  return text;
}

bool is_var_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// "name=value" lines → the variables the command uses (dev, script_type, dns_*); any other line
// is skipped unread, so nothing else in the file can reach a message.
Result<std::vector<std::string>> vars_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, eq);
    if (!is_var_name(name)) continue;
    if (name != "dev" && name != "script_type" && !name.starts_with("dns_")) continue;
    if (out.size() >= kMaxVars) {
      return Error(Code::kInvalidArgument,
                   "dns_vars_file has more than " + std::to_string(kMaxVars) + " DNS variables");
    }
    out.emplace_back(line);
  }
  return out;
}

Status drop_everything() {
  capng_clear(CAPNG_SELECT_BOTH);
  if (capng_apply(CAPNG_SELECT_BOTH) != 0) {
    return Error(Code::kPermissionDenied, "cannot drop capabilities");
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return sys_error("PR_SET_NO_NEW_PRIVS", errno);
  return ok_status();
}

Result<Reply> run() {
  VPNNS_ASSIGN_OR_RETURN(Caller caller, connect_helper());
  std::vector<std::string> vars;
  if (const char* file = ::getenv("dns_vars_file"); file != nullptr) {
    VPNNS_ASSIGN_OR_RETURN(std::string text, read_vars_file(caller.openvpn, file));
    VPNNS_ASSIGN_OR_RETURN(vars, vars_of(text));
  } else {
    for (char** e = environ; *e != nullptr; ++e) vars.emplace_back(*e);
  }
  VPNNS_TRY(drop_everything());

  std::vector<const char*> envp;
  for (const auto& v : vars) envp.push_back(v.c_str());
  envp.push_back(nullptr);
  VPNNS_ASSIGN_OR_RETURN(auto parsed, parse_dns_updown(Env(envp.data())));
  for (const auto& w : parsed.warnings) std::printf("%s: warning: %s\n", kProg, w.c_str());

  VPNNS_TRY(send_frame(caller.socket.get(), encode_request(Request(parsed.request))));
  VPNNS_ASSIGN_OR_RETURN(auto frame, recv_frame(caller.socket.get(), kReplyTimeoutMs));
  VPNNS_ASSIGN_OR_RETURN(auto message, decode_helper_message(frame));
  const Reply* reply = std::get_if<Reply>(&message);
  if (reply == nullptr) return Error(Code::kInternal, "the helper answered with a hello");
  return *reply;
}

int main_impl() {
  auto reply = run();
  if (!reply) {
    std::fprintf(stderr, "%s: refused: %s\n", kProg, reply.error().text().c_str());
    return 1;
  }
  for (const auto& w : reply->warnings) std::printf("%s: warning: %s\n", kProg, w.c_str());
  if (!reply->ok()) {
    std::fprintf(stderr, "%s: refused (%s): %s\n", kProg, code_name(reply->code),
                 reply->message.c_str());
    return 1;
  }
  std::printf("%s: %s\n", kProg, reply->message.c_str());
  return 0;
}

}  // namespace
}  // namespace vpnns

int main() {
  try {
    const int rc = vpnns::main_impl();
    std::fflush(stdout);
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vpnns-dns-updown: %s\n", e.what());
  }
  return 1;
}
