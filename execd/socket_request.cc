// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/socket_request.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

#include "exec_ipc/exec_wire.h"
#include "execd/forward_quota.h"
#include "execd/ns_socket.h"
#include "execd/session_order.h"

namespace vpnns {
namespace {

// Orders that are not SocketOpen are ignored (the decoder sends none); only the first few are
// logged.
constexpr int kMaxLoggedIgnored = 10;

// In the child: the socket for `e`, inside the namespace, as the caller.
Result<UniqueFd> make_socket(int netns_fd, const SocketEndpoint& e, const Identity& caller) {
  if (::setns(netns_fd, CLONE_NEWNET) < 0) return sys_error("entering the namespace", errno);
  if (caller.uid != 0) {
    if (::setgroups(caller.groups.size(), caller.groups.data()) < 0 ||
        ::setresgid(caller.gid, caller.gid, caller.gid) < 0 ||
        ::setresuid(caller.uid, caller.uid, caller.uid) < 0) {
      return sys_error("taking the caller's identity", errno);
    }
  }
  return endpoint_socket(e);
}

class Forward {
 public:
  Forward(int conn, int chan, UniqueFd netns, const ForwardRequest& request, const Identity& caller,
          const std::string& who)
      : conn_(conn),
        chan_(chan),
        netns_(std::move(netns)),
        request_(request),
        caller_(caller),
        who_(who),
        listened_(request.endpoints.size(), false) {}
  ~Forward() {
    for (Child& c : children_) {
      (void)::kill(c.pid, SIGKILL);
      (void)::waitpid(c.pid, nullptr, 0);
    }
  }

  int run();

 private:
  struct Child {
    pid_t pid = -1;
    UniqueFd reply;
    SocketOpen open;
  };

  void log(const std::string& what) const {
    std::fprintf(stderr, "vpnns-execd[%d]: %s: %s\n", static_cast<int>(::getpid()), who_.c_str(),
                 what.c_str());
  }
  void fail(const SocketOpen& o, const Error& e) {
    (void)send_exec_frame(
        conn_,
        encode_exec(ExecServiceMessage(
            SocketFailed{o.id, e.code(), static_cast<std::uint32_t>(e.sys_errno()), e.message()})),
        {});
  }
  Status still_admitted() const;
  void on_request(const SocketOpen& o);
  void start_child(const SocketOpen& o);
  void on_child(Child& c);

  int conn_;
  int chan_;  // orders from the decoder (session_order.h)
  UniqueFd netns_;
  const ForwardRequest& request_;
  const Identity& caller_;
  const std::string& who_;
  std::vector<bool> listened_;
  std::deque<SocketOpen> queue_;
  std::vector<Child> children_;
  std::vector<UniqueFd> alive_;
  std::size_t opened_ = 0;
  int ignored_ = 0;
  std::optional<ForwardQuota> quota_;  // the user's sockets over all their forwards
};

Status Forward::still_admitted() const {
  struct stat held = {}, now = {};
  const std::string path = "/run/netns/" + request_.netns;
  if (::fstat(netns_.get(), &held) < 0) return sys_error("fstat of the namespace", errno);
  if (::stat(path.c_str(), &now) < 0 || now.st_dev != held.st_dev || now.st_ino != held.st_ino) {
    return Error(Code::kFailedPrecondition,
                 "network namespace '" + request_.netns +
                     "' was removed or replaced since the forward started; start it again");
  }
  return ok_status();
}

void Forward::on_request(const SocketOpen& o) {
  if (o.endpoint >= request_.endpoints.size()) {
    return fail(o, Error(Code::kInvalidArgument,
                         "endpoint " + std::to_string(o.endpoint) + " was not asked for"));
  }
  const SocketEndpoint& e = request_.endpoints[o.endpoint];
  if (socket_kind_listens(e.kind)) {
    if (listened_[o.endpoint]) {
      return fail(o, Error(Code::kFailedPrecondition, endpoint_text(e) + " is already open"));
    }
    listened_[o.endpoint] = true;
  }
  const std::size_t mine = alive_.size() + children_.size() + queue_.size();
  if (quota_ && quota_->total() >= kMaxForwardSocketsPerUser) {
    return fail(o, Error(Code::kUnavailable,
                         "your forwards already hold " + std::to_string(quota_->total()) +
                             " sockets inside vpnns namespaces, the most one user may (" +
                             std::to_string(kMaxForwardSocketsPerUser) + ")"));
  }
  if (mine >= kMaxForwardSockets) {
    return fail(o, Error(Code::kUnavailable, "this forward already holds " +
                                                 std::to_string(kMaxForwardSockets) +
                                                 " sockets inside the namespace, the most it may"));
  }
  if (queue_.size() >= kMaxForwardQueue) {
    return fail(o, Error(Code::kUnavailable, "too many socket requests pending"));
  }
  queue_.push_back(o);
  if (quota_) quota_->publish(mine + 1);
}

void Forward::start_child(const SocketOpen& o) {
  if (Status s = still_admitted(); !s) return fail(o, s.error());
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    return fail(o, sys_error("socketpair", errno));
  }
  UniqueFd mine(sv[0]), theirs(sv[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return fail(o, sys_error("fork", errno));
  if (pid == 0) {
    mine.reset();
    const SocketEndpoint& e = request_.endpoints[o.endpoint];
    auto fd = make_socket(netns_.get(), e, caller_);
    if (fd) {
      const int pass = fd->get();
      (void)send_exec_frame(theirs.get(), encode_exec(ExecServiceMessage(SocketOpened{o.id})),
                            {&pass, 1});
    } else {
      (void)send_exec_frame(
          theirs.get(),
          encode_exec(ExecServiceMessage(SocketFailed{
              o.id, fd.error().code(), static_cast<std::uint32_t>(fd.error().sys_errno()),
              fd.error().message() + " in namespace '" + request_.netns + "'"})),
          {});
    }
    ::_exit(0);
  }
  children_.push_back(Child{pid, std::move(mine), o});
}

void Forward::on_child(Child& c) {
  auto frame = recv_exec_frame(c.reply.get(), 0);
  (void)::waitpid(c.pid, nullptr, 0);
  c.pid = -1;
  if (!frame) return fail(c.open, Error(Code::kInternal, "the socket's maker died"));
  if (frame->fds.size() == 1) {
    const int pass = frame->fds[0].get();
    if (Status s = send_exec_frame(conn_, frame->bytes, {&pass, 1}); s) {
      alive_.push_back(std::move(frame->fds[0]));
      ++opened_;
    }
    return;
  }
  (void)send_exec_frame(conn_, frame->bytes, {});
}

int Forward::run() {
  std::string what;
  for (const SocketEndpoint& e : request_.endpoints)
    what += (what.empty() ? "" : ", ") + endpoint_text(e);
  log("forward in network namespace '" + request_.netns + "': " + what);
  if (auto quota = ForwardQuota::open(caller_.uid); quota) {
    quota_ = std::move(*quota);
  } else {
    log("no count of sockets per user (" + quota.error().text() +
        "); this forward's own limit still holds");
  }
  if (Status s = send_exec_frame(conn_, encode_exec(ExecServiceMessage(ForwardReady{})), {}); !s) {
    return 0;
  }
  for (;;) {
    while (!queue_.empty() && children_.size() < kMaxForwardChildren) {
      const SocketOpen o = queue_.front();
      queue_.pop_front();
      start_child(o);
    }
    std::vector<pollfd> fds;
    fds.push_back({chan_, POLLIN, 0});
    for (const Child& c : children_) fds.push_back({c.reply.get(), POLLIN, 0});
    for (const UniqueFd& a : alive_) fds.push_back({a.get(), 0, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      log("poll failed: " + sys_error("poll", errno).text());
      return 1;
    }
    // Sockets gone on both sides first (the indices below refer to this round's vectors).
    const std::size_t first_alive = 1 + children_.size();
    std::vector<UniqueFd> still;
    for (std::size_t i = 0; i < alive_.size(); ++i) {
      if ((fds[first_alive + i].revents & (POLLHUP | POLLERR | POLLNVAL)) == 0) {
        still.push_back(std::move(alive_[i]));
      }
    }
    alive_ = std::move(still);
    if (quota_) quota_->publish(alive_.size() + children_.size() + queue_.size());
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (fds[1 + i].revents != 0) on_child(children_[i]);
    }
    std::erase_if(children_, [](const Child& c) { return c.pid < 0; });
    if (fds[0].revents == 0) continue;
    auto frame = seqpacket_recv(chan_, 0, kOrderLimits);
    if (!frame) {
      if (frame.error().code() == Code::kInvalidArgument) continue;
      break;  // the decoder ended, the client hung up: the forward is over
    }
    auto order = decode_order(frame->bytes);
    const SocketOpen* open = order ? std::get_if<SocketOpen>(&*order) : nullptr;
    if (open == nullptr || !frame->fds.empty()) {
      if (++ignored_ <= kMaxLoggedIgnored) {
        log("ignored an order that is not a socket request" +
            (order ? std::string() : ": " + order.error().text()));
      }
      continue;
    }
    on_request(*open);
  }
  log("forward ended: " + std::to_string(opened_) + " sockets handed out");
  return 0;
}

}  // namespace

Status check_forward_endpoints(const ForwardRequest& request) {
  VPNNS_TRY(check_forward_request(request));
  if (request.endpoints.size() > kMaxForwardEndpoints) {
    return Error(Code::kInvalidArgument,
                 "more than " + std::to_string(kMaxForwardEndpoints) + " endpoints in one forward");
  }
  for (const SocketEndpoint& e : request.endpoints) {
    if (socket_kind_listens(e.kind) && e.port < 1024) {
      return Error(Code::kPermissionDenied,
                   "refused " + endpoint_text(e) +
                       ": a port below 1024 inside the namespace is privileged, and vpnns-execd "
                       "makes sockets as you, without capabilities (root may forward it itself)");
    }
  }
  return ok_status();
}

int serve_forward(int conn, int chan, UniqueFd netns, const ForwardRequest& request,
                  const Identity& caller, const std::string& who) {
  Forward forward(conn, chan, std::move(netns), request, caller, who);
  return forward.run();
}

}  // namespace vpnns
