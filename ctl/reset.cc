// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl reset NAME [--netns]: remove, by hand, what vpnns left behind for NAME.
//
// For recovery after a helper was killed (SIGKILL, OOM): the helper tears everything down on
// close, EOF and SIGTERM, but a helper killed outright leaves its seal table, its DNS files, its
// state file, a server's set members and the namespace. reset removes exactly those, and only
// where it can tell vpnns made them:
//
//   nft table inet vpnns-INSTANCE   in vpnnsctl's current network namespace (run it where
//                                   openvpn ran: `nsenter --net=/proc/PID/ns/net` or `ip netns
//                                   exec`); only if its comment shows vpnns made it for this
//                                   instance (kernel/owned_tables.h) and its owner is not running
//   client sets                     a server's sets as the state file lists them, emptied (they
//                                   belong to vpnns by configuration), in the namespace they
//                                   live in: the state file's netns=, or the current one
//   /etc/netns/NS/resolv.conf,      only if they begin with vpnns's header (common/etc_netns.h);
//   /etc/netns/NS/nsswitch.conf     the directory too if that leaves it empty
//   nft table inet vpnns-dns        dns=pin's table in /run/netns/NS, only if its comment shows
//                                   vpnns made it for this instance (kernel/owned_tables.h)
//   --netns: /run/netns/NS          unmounted and unlinked like `ip netns del`, only if its
//            and /run/vpnns/netns/NS  marker (one line "DEV:INO", st_dev and st_ino of
//                                   /run/netns/NS, written by the helper that used it;
//                                   state/netns_marker.h) matches and no process lives in it
//   /run/vpnns/INSTANCE.json        the state file, last
//
// NAME is an instance name (the state file's name). If no state file has that name but one
// names NAME as its namespace, that instance is meant. Without a state file, NAME is taken for
// both the instance and the namespace.
//
// It refuses to touch anything while a running helper owns NAME (reset_target.h): the operator
// should stop that openvpn, whose helper then cleans up itself. Every item is reported as removed,
// or left alone and why. Exit status: 0 when nothing of vpnns's was left that could not be removed,
// 1 otherwise (a refusal, a namespace still in use or not proven vpnns's under --netns, a failure),
// 64 for a usage error.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/etc_netns.h"
#include "common/unique_fd.h"
#include "ctl/commands.h"
#include "ctl/kernel_view.h"
#include "ctl/killswitch_view.h"
#include "ctl/printable.h"
#include "ctl/reset_target.h"
#include "ctl/state_files.h"
#include "ctl/status_report.h"
#include "kernel/netns.h"
#include "kernel/nft.h"
#include "kernel/nft_build.h"
#include "kernel/nft_sets.h"
#include "kernel/owned_tables.h"
#include "state/netns_marker.h"
#include "state/process_info.h"

namespace vpnns::ctl {
namespace {

constexpr const char* kUsage = "usage: vpnnsctl reset NAME [--netns]\n";

// Collects what was done, printed as it happens (through printable(): a foreign table's comment
// is whatever its maker wrote).
struct Outcome {
  bool incomplete = false;  // something of vpnns's is still there

  static void say(const std::string& line) { std::printf("%s\n", printable(line).c_str()); }
  void removed(const std::string& what) { say("removed: " + what); }
  void kept(const std::string& what, const std::string& why) {
    say("left alone: " + what + " (" + why + ")");
  }
  void failed(const std::string& what, const Error& e) {
    say("NOT removed: " + what + ": " + e.text());
    incomplete = true;
  }
  void not_found(const std::string& what) { say("not found: " + what); }
};

void reset_seal(const Target& t, Outcome& out) {
  const std::string table = "vpnns-" + t.instance;
  const std::string what = "nft table inet " + table + " in this network namespace";
  auto sock = socket_in("/proc/self/ns/net", NETLINK_NETFILTER);
  if (!sock) return out.failed(what, sock.error());
  auto st = read_seal_state(*sock, table);
  if (!st) return out.failed(what, st.error());
  if (!st->exists) {
    out.not_found(what);
    if (t.state && process_running(t.state->openvpn_pid)) {
      std::printf(
          "  (openvpn pid %d is still running; if it runs in another network namespace, "
          "run reset there: nsenter --net=/proc/%d/ns/net vpnnsctl reset %s)\n",
          t.state->openvpn_pid, t.state->openvpn_pid, t.instance.c_str());
    }
    return;
  }
  if (!st->comment.starts_with(seal_comment_prefix(t.instance))) {
    return out.kept(what, (st->comment.empty() ? std::string("it has no comment")
                                               : "its comment is \"" + st->comment + "\"") +
                              ": vpnns did not make it");
  }
  NftBatch batch(sock->next_seq());
  build_table_delete(batch, table);
  if (Status s = nft_commit(*sock, batch); !s) return out.failed(what, s.error());
  out.removed(what + " (" + std::to_string(st->dropped_packets) + " packets dropped)");
}

// dns=pin's table, inside the namespace (it goes with the namespace too, but reset without
// --netns keeps the namespace).
void reset_dns_pin(const Target& t, Outcome& out) {
  const std::string path = std::string(kNetnsRunDir) + "/" + t.netns;
  const std::string what =
      std::string("nft table inet ") + kDnsPinTable + " in network namespace '" + t.netns + "'";
  struct stat st = {};
  if (::stat(path.c_str(), &st) < 0) return;  // no namespace, no table (said below)
  auto sock = socket_in(path, NETLINK_NETFILTER);
  if (!sock) return out.failed(what, sock.error());
  auto pin = read_dns_pin_state(*sock, kDnsPinTable);
  if (!pin) return out.failed(what, pin.error());
  if (!pin->exists) {
    // Only worth a line when this instance was known to pin DNS.
    if (t.state && t.state->netns && t.state->netns->dns_pin) out.not_found(what);
    return;
  }
  if (!pin->comment.starts_with(dns_pin_comment_prefix(t.instance))) {
    return out.kept(what, (pin->comment.empty() ? std::string("it has no comment")
                                                : "its comment is \"" + pin->comment + "\"") +
                              ": not vpnns's for instance '" + t.instance + "'");
  }
  NftBatch batch(sock->next_seq());
  build_table_delete(batch, kDnsPinTable);
  if (Status s = nft_commit(*sock, batch); !s) return out.failed(what, s.error());
  out.removed(what + " (" + std::to_string(pin->dropped_packets) + " packets dropped)");
}

void reset_sets(const Target& t, Outcome& out) {
  if (!t.state || !t.state->client_sets) return;
  const StateClientSets& sets = *t.state->client_sets;
  const std::string where =
      sets.netns ? std::string(kNetnsRunDir) + "/" + *sets.netns : std::string("/proc/self/ns/net");
  const std::string place =
      sets.netns ? "in network namespace '" + *sets.netns + "'" : "in this network namespace";
  auto sock = socket_in(where, NETLINK_NETFILTER);
  if (!sock) return out.failed("the client sets " + place, sock.error());
  // Only the members tagged with this instance (kernel/nft_sets.h): other instances' and those
  // added by hand stay.
  const std::string mine = owner_comment(t.instance);
  for (const StateSet& s : sets.sets) {
    const std::string what =
        "the members of instance '" + t.instance + "' in set " + s.set.str() + " " + place;
    auto members = nft_read_members(*sock, s.set, s.interval);
    if (!members) {
      out.failed(what, members.error());
      continue;
    }
    if (!*members) {
      out.not_found("set " + s.set.str() + " " + place);
      continue;
    }
    std::vector<Prefix> own;
    for (const SetMember& m : **members) {
      if (m.comment == mine) own.push_back(m.prefix);
    }
    if (own.empty()) {
      out.not_found(what + " (none)");
      continue;
    }
    NftBatch batch(sock->next_seq());
    for (std::size_t i = 0; i < own.size(); i += kMaxPrefixesPerMessage) {
      const auto last = std::min(own.size(), i + kMaxPrefixesPerMessage);
      build_set_prefixes(batch, s.set, s.interval, false,
                         std::vector<Prefix>(own.begin() + static_cast<long>(i),
                                             own.begin() + static_cast<long>(last)));
    }
    if (Status st = nft_commit(*sock, batch); !st) {
      out.failed(what, st.error());
      continue;
    }
    out.removed(what + " (" + std::to_string(own.size()) + ")");
  }
}

// Whether the file `name` in `dir` is a root-owned regular file starting with vpnns's header.
Result<bool> written_by_vpnns(int dir, const char* name) {
  UniqueFd fd(::openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return sys_error("opening", errno);
  struct stat st = {};
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat", errno);
  if (!S_ISREG(st.st_mode) || st.st_uid != 0) return false;
  const std::string header = kVpnnsFileHeader;
  std::string head(header.size(), '\0');
  const ssize_t n = ::pread(fd.get(), head.data(), head.size(), 0);
  return n == static_cast<ssize_t>(head.size()) && head == header;
}

void reset_dns(const Target& t, Outcome& out) {
  const std::string dir_path = std::string(kNetnsEtcDir) + "/" + t.netns;
  UniqueFd etc(::open(kNetnsEtcDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd dir;
  if (etc) {
    dir.reset(
        ::openat(etc.get(), t.netns.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  }
  if (!dir) {
    if (errno == ENOENT) return out.not_found(dir_path);
    return out.failed(dir_path, sys_error("opening", errno));
  }
  for (const char* name : {"resolv.conf", "nsswitch.conf"}) {
    const std::string what = dir_path + "/" + name;
    auto ours = written_by_vpnns(dir.get(), name);
    if (!ours) {
      if (ours.error().sys_errno() == ENOENT) {
        out.not_found(what);
      } else {
        out.failed(what, ours.error());
      }
      continue;
    }
    if (!*ours) {
      out.kept(what, "not written by vpnns");
      continue;
    }
    if (::unlinkat(dir.get(), name, 0) < 0) {
      out.failed(what, sys_error("unlink", errno));
      continue;
    }
    out.removed(what);
  }
  if (::unlinkat(etc.get(), t.netns.c_str(), AT_REMOVEDIR) == 0) {
    out.removed(dir_path + " (empty)");
  } else if (errno == ENOTEMPTY || errno == EEXIST) {
    out.kept(dir_path, "it holds other files");
  }
}

// The marker's "DEV:INO", if it is a root-owned regular file holding exactly that.
std::optional<std::pair<std::uint64_t, std::uint64_t>> read_marker(const std::string& path,
                                                                   std::string& why) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    why = errno == ENOENT ? "there is no marker " + path : "cannot open " + path;
    return std::nullopt;
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    why = path + " is not a root-owned file writable by root alone";
    return std::nullopt;
  }
  char buf[64];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  auto id = parse_netns_marker(std::string_view(buf, n > 0 ? static_cast<std::size_t>(n) : 0));
  if (!id) {
    why = path + ": " + id.error().message();
    return std::nullopt;
  }
  return std::pair<std::uint64_t, std::uint64_t>{id->dev, id->ino};
}

// Processes whose network namespace is the one with this inode.
std::vector<pid_t> pids_in_netns(std::uint64_t dev, std::uint64_t ino) {
  std::vector<pid_t> pids;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) return pids;
  while (const dirent* e = ::readdir(proc.get())) {
    pid_t pid = 0;
    const std::string_view name = e->d_name;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size()) continue;
    struct stat st = {};
    const std::string ns = "/proc/" + std::string(name) + "/ns/net";
    if (::stat(ns.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino) pids.push_back(pid);
  }
  return pids;
}

void reset_netns(const Target& t, Outcome& out) {
  const std::string path = std::string(kNetnsRunDir) + "/" + t.netns;
  const std::string marker = NetnsPaths{}.marker_dir + "/" + t.netns;  // netns_marker.h
  const std::string what = "network namespace '" + t.netns + "' (" + path + ")";
  struct stat st = {};
  if (::stat(path.c_str(), &st) < 0) {
    out.not_found(what);
    if (::unlink(marker.c_str()) == 0) out.removed(marker + " (its namespace is gone)");
    return;
  }
  std::string why;
  const auto id = read_marker(marker, why);
  if (!id) {
    out.kept(what, why + ": not proven to be vpnns's");
    out.incomplete = true;
    return;
  }
  if (id->first != st.st_dev || id->second != st.st_ino) {
    out.kept(what, marker + " names namespace " + std::to_string(id->first) + ":" +
                       std::to_string(id->second) + ", but " + path + " is " +
                       std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) +
                       ": not the one vpnns made");
    out.incomplete = true;
    return;
  }
  const auto pids = pids_in_netns(st.st_dev, st.st_ino);
  if (!pids.empty()) {
    std::string list;
    for (pid_t p : pids) list += (list.empty() ? "" : " ") + std::to_string(p);
    out.kept(what, "processes live in it: " + list);
    out.incomplete = true;
    return;
  }
  // As `ip netns del`: detach the bind mount, then remove the file.
  if (::umount2(path.c_str(), MNT_DETACH) < 0) return out.failed(what, sys_error("umount", errno));
  if (::unlink(path.c_str()) < 0) return out.failed(what, sys_error("unlink", errno));
  out.removed(what);
  if (::unlink(marker.c_str()) == 0) out.removed(marker);
}

void reset_state_file(const Target& t, Outcome& out) {
  if (::unlink(t.state_path.c_str()) == 0) {
    out.removed(t.state_path);
  } else if (errno == ENOENT) {
    out.not_found(t.state_path);
  } else {
    out.failed(t.state_path, sys_error("unlink", errno));
  }
}

}  // namespace

int reset_command(std::span<char* const> args) {
  std::optional<std::string> name;
  bool netns = false;
  for (const char* a : args) {
    const std::string arg = a;
    if (arg == "--netns") {
      netns = true;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (!arg.starts_with("-") && !name) {
      name = arg;
    } else {
      std::fprintf(stderr, "vpnnsctl reset: unexpected '%s'\n%s", arg.c_str(), kUsage);
      return kExitUsage;
    }
  }
  if (!name) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  if (!is_valid_instance_name(*name)) {
    std::fprintf(stderr,
                 "vpnnsctl reset: '%s' is not a name vpnns uses (1-32 characters of A-Z a-z 0-9 "
                 "_ . -)\n",
                 name->c_str());
    return kExitUsage;
  }
  if (::geteuid() != 0) {
    std::fputs("vpnnsctl reset: needs root\n", stderr);
    return 1;
  }
  auto target = resolve(*name);
  if (!target) {
    std::fprintf(stderr, "vpnnsctl reset: %s\n", printable(target.error().text()).c_str());
    return 1;
  }
  if (Status s = check_no_running_helper(*target); !s) {
    std::fprintf(stderr, "vpnnsctl reset: refused: %s\n", printable(s.error().text()).c_str());
    return 1;
  }
  Outcome out;
  // First: the network comes back before anything else is looked at.
  if (!reset_killswitch(target->instance)) out.incomplete = true;
  reset_seal(*target, out);
  reset_sets(*target, out);
  reset_dns(*target, out);
  reset_dns_pin(*target, out);
  if (netns) {
    reset_netns(*target, out);
  } else if (target->state && target->state->netns) {
    out.kept("network namespace '" + target->netns + "'", "--netns not given");
  }
  // Last: while anything else is left, the state file still says what it was.
  if (out.incomplete) {
    out.kept(target->state_path, "something above is still there");
  } else {
    reset_state_file(*target, out);
  }
  return out.incomplete ? 1 : 0;
}

}  // namespace vpnns::ctl
