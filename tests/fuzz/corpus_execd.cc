// SPDX-License-Identifier: GPL-2.0-or-later
// Seeds for the fuzz targets over vpnns-execd's parsers (part of make_corpus):
//   * order_fuzzer: the orders a session's decoder passes to its privileged process for each
//     request mode and for a signal (encode_order), and the vpnnsctl frames they come from
//     (encode_exec), since that target reads every input both ways;
//   * limits_fuzzer: limits.conf and limits.d texts as Debian ships and administrators write
//     them (limits.conf(5)), one line kind each, several files NUL-separated as the target
//     expects, and lines pam_limits skips with a warning.
#include <string>
#include <vector>

#include "exec_ipc/exec_wire.h"
#include "execd/session_order.h"
#include "tests/fuzz/corpus_writer.h"

namespace vpnns::fuzz {
namespace {

ExecRequest pipe_request() {
  ExecRequest r;
  r.netns = "work";
  r.argv = {"sh", "-c", "echo hello\nexit 3", ""};
  r.env = {"PATH=/usr/bin:/bin", "LANG=C", "EMPTY="};
  return r;
}

ExecRequest pty_request(ExecMode mode) {
  ExecRequest r = pipe_request();
  r.netns = "vpn-0.client_1";
  r.argv = {"bash", "-l"};
  r.mode = mode;
  r.umask = 077;
  r.winsize = ExecWinSize{24, 80, 640, 480};
  ExecTermModes t;
  t.iflag = 0x500;
  t.oflag = 0x5;
  t.cflag = 0xbf;
  t.lflag = 0x8a3b;
  t.line = 0;
  t.cc = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22};
  t.ispeed = t.ospeed = 15;
  r.term = t;
  return r;
}

}  // namespace

void write_orders(CorpusWriter& w) {
  const std::string t = "order_fuzzer";
  const ExecRequest pipe = pipe_request();
  const ExecRequest pty = pty_request(ExecMode::kPty);
  const ExecRequest own_stderr = pty_request(ExecMode::kPtyOwnStderr);
  w.write(t, "order-pipe", encode_order(pipe));
  w.write(t, "order-pty", encode_order(pty));
  w.write(t, "order-pty-own-stderr", encode_order(own_stderr));
  w.write(t, "order-minimal",
          encode_order(ExecRequest{"n", {"true"}, {}, ExecMode::kPipe, 0, {}, {}}));
  w.write(t, "order-signal-int", encode_order(SignalOrder{2}));
  w.write(t, "order-signal-cont", encode_order(SignalOrder{18}));
  w.write(t, "frame-pipe", encode_exec(ExecClientMessage(pipe)));
  w.write(t, "frame-pty", encode_exec(ExecClientMessage(pty)));
  w.write(t, "frame-signal", encode_exec(ExecClientMessage(ExecSignal{15})));
}

void write_limits(CorpusWriter& w) {
  using namespace std::string_literals;
  const std::string t = "limits_fuzzer";
  // Debian's limits.conf: every line a comment (shortened).
  w.write(
      t, "debian-default",
      "# /etc/security/limits.conf\n#\n#Each line describes a limit for a user in the form:\n"
      "#\n#<domain>        <type>  <item>  <value>\n#\n"
      "#*               soft    core            0\n#root            hard    core            "
      "100000\n#*               hard    rss             10000\n#@student        hard    "
      "nproc           20\n#@faculty        soft    nproc           20\n#ftp             "
      "hard    nproc           0\n#@student        -       maxlogins       4\n\n# End of file\n");
  w.write(t, "every-item",
          "*\tsoft\tcpu\t10\n*\thard\tfsize\t1024\n*\t-\tdata\tunlimited\n*\tsoft\tstack\t8192\n"
          "*\thard\tcore\t0\n*\tsoft\trss\t-1\n*\thard\tnproc\t4096\n*\t-\tnofile\t65536\n"
          "*\tsoft\tmemlock\t64\n*\thard\tas\tinfinity\n*\tsoft\tlocks\t100\n"
          "*\thard\tsigpending\t127\n*\tsoft\tmsgqueue\t819200\n*\t-\tnice\t-5\n"
          "*\thard\trtprio\t50\n*\t-\tpriority\t10\n*\t-\tmaxlogins\t4\n"
          "*\t-\tmaxsyslogins\t40\n*\t-\tnonewprivs\t1\n");
  w.write(t, "domains",
          "alice soft nofile 1024\n@vpnns hard nofile 2048\n@users - nproc 100\n"
          "1000: soft core 0\n:1000 hard core 10\n1000:2000 - cpu 5\n@:990 soft as 1000000\n"
          "@1000: hard as 2000000\n@100:999 - stack 4096\n%vpnns - maxlogins 2\n% - maxlogins 9\n"
          "bob soft nofile 1\n* soft nofile 4096 # everyone else\n");
  w.write(t, "no-limits", "* hard nproc 50\n@vpnns -\nalice soft nofile 9\n");
  w.write(t, "no-limits-user", "* soft nofile 100\n\0alice -\n"s);
  w.write(t, "precedence",
          "alice soft nofile 100\n@vpnns - nofile 200\n* - nofile 300\nalice hard nofile 400\n");
  w.write(t, "case-and-spaces", "  alice\t SOFT  NoFile\tUnlimited  \r\n@vpnns HARD NPROC 0x20\n");
  w.write(t, "skipped",
          "alice soft\n: soft nofile 1\n@:x hard nproc 1\n1:2:3 - core 0\nalice bad nofile 1\n"
          "alice soft nothing 1\nalice hard nofile many\nalice - nice unlimited\n"
          "alice - priority -\n");
  w.write(t, "big-numbers",
          "alice soft fsize 18446744073709551615\nalice hard cpu 99999999999999999999\n"
          "alice - nice -100\nalice - priority 99999999999\nalice soft nofile -5\n");
  w.write(t, "limits-d",
          "* soft core 0\n\0# 10-vpnns.conf\n@vpnns hard nofile 8192\n\0"
          "1234 soft nproc 10\n:1234 - nproc 20\n"s);
}

}  // namespace vpnns::fuzz
