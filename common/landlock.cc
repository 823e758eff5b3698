// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/landlock.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/unique_fd.h"

namespace vpnns {
namespace {

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

constexpr unsigned kCreateRulesetVersion = 1U << 0;
constexpr int kRulePathBeneath = 1;

// The kernel's structures (linux/landlock.h). Only handled_access_fs is passed: the size given
// to the kernel says which fields exist, so network rights and scopes stay unhandled.
struct RulesetAttr {
  std::uint64_t handled_access_fs;
};
struct __attribute__((packed)) PathBeneathAttr {
  std::uint64_t allowed_access;
  std::int32_t parent_fd;
};

// The rights that apply to a file that is not a directory.
constexpr std::uint64_t kFileRights = kLandlockExecute | kLandlockWriteFile | kLandlockReadFile |
                                      kLandlockTruncate | kLandlockIoctlDev;

long create_ruleset(const RulesetAttr* attr, std::size_t size, unsigned flags) {
  return ::syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

}  // namespace

int landlock_abi() {
  const long abi = create_ruleset(nullptr, 0, kCreateRulesetVersion);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

std::uint64_t landlock_handled_rights(int abi) {
  if (abi < 1) return 0;
  std::uint64_t rights = (kLandlockMakeSym << 1) - 1;  // ABI 1: bits 0..12
  if (abi >= 2) rights |= kLandlockRefer;
  if (abi >= 3) rights |= kLandlockTruncate;
  if (abi >= 5) rights |= kLandlockIoctlDev;
  return rights;
}

Result<int> landlock_restrict(const std::vector<LandlockRule>& rules) {
  const int abi = landlock_abi();
  if (abi == 0) return 0;  // no Landlock in this kernel: best effort (landlock.h)
  const RulesetAttr attr{landlock_handled_rights(abi)};
  UniqueFd ruleset(static_cast<int>(create_ruleset(&attr, sizeof attr, 0)));
  if (!ruleset) return sys_error("landlock_create_ruleset", errno);
  for (const LandlockRule& rule : rules) {
    UniqueFd at(::open(rule.path.c_str(), O_PATH | O_CLOEXEC));
    if (!at) {
      if (errno == ENOENT) continue;  // nothing there to reach either
      return sys_error("opening " + rule.path + " for a Landlock rule", errno);
    }
    struct stat st = {};
    if (::fstat(at.get(), &st) < 0) return sys_error("fstat " + rule.path, errno);
    std::uint64_t access = rule.access & attr.handled_access_fs;
    if (!S_ISDIR(st.st_mode)) access &= kFileRights;
    if (access == 0) continue;
    const PathBeneathAttr beneath{access, at.get()};
    if (::syscall(SYS_landlock_add_rule, ruleset.get(), kRulePathBeneath, &beneath, 0) < 0) {
      return sys_error("landlock_add_rule for " + rule.path, errno);
    }
  }
  if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) < 0) {
    return sys_error("landlock_restrict_self", errno);
  }
  return abi;
}

}  // namespace vpnns
