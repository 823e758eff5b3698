// SPDX-License-Identifier: GPL-2.0-or-later
// RtnlTransaction and is_gone (kernel_ops.h): the undo-on-failure half of the rtnetlink seam.
#include "helper/kernel_ops.h"

#include <cerrno>
#include <utility>

namespace vpnns {

bool is_gone(const Error& e) {
  return e.code() == Code::kSystem &&
         (e.sys_errno() == ENODEV || e.sys_errno() == ESRCH || e.sys_errno() == ENOENT);
}

void RtnlTransaction::add(Op apply, Op undo, bool tolerate_gone) {
  steps_.push_back(Step{std::move(apply), std::move(undo), tolerate_gone});
}

Status RtnlTransaction::commit() {
  std::vector<Step> steps = std::exchange(steps_, {});
  std::vector<bool> made(steps.size(), false);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Status s = steps[i].apply();
    if (s) made[i] = true;
    if (s || (steps[i].tolerate_gone && is_gone(s.error()))) continue;
    // Put back what this transaction changed, newest first (a deletion of something already
    // gone changed nothing). An undo that fails leaves the kernel as the failure left it.
    for (std::size_t j = i; j-- > 0;) {
      if (made[j] && steps[j].undo) (void)steps[j].undo();
    }
    return s;
  }
  return ok_status();
}

}  // namespace vpnns
