// SPDX-License-Identifier: GPL-2.0-or-later
// Landlock: a process takes away its own file-system access, except beneath the paths it names.
//
// vpnns's two root processes use it as their path restriction (helper/confine.h,
// execd/session_confine.h). seccomp decides which system calls they may make but cannot see a
// path; capabilities decide what root may override but not which of root's own files it writes.
// Landlock closes that gap: after landlock_restrict(), opening, creating, removing or renaming
// anything outside the listed hierarchies fails with EACCES, whatever the uid and whatever a bug
// makes the process attempt. The domain is permanent and inherited by every child and across
// execve(): apply it only in a process whose descendants should live with it.
//
// Raw system calls (glibc has no wrappers); the rights are spelled here because the installed
// <linux/landlock.h> may be older than the kernel. The ruleset handles every file-system right
// the running kernel's ABI knows (probed with LANDLOCK_CREATE_RULESET_VERSION): 1 (5.13) the
// basic ones, 2 (5.19) REFER, 3 (6.2) TRUNCATE, 5 (6.10) IOCTL_DEV. Network rights (ABI 4) and
// scopes (ABI 6) are deliberately not handled: vpnns-execd creates TCP sockets for forwards, and
// the helper checks with kill(pid, 0) whether processes outside its domain live.
//
// What Landlock does not govern (documented, and left to the other layers): chmod, chown,
// truncate(2) by path before ABI 3, stat, ioctl on non-devices, connect() to a path socket.
// A landlocked process may not mount or unmount anything (any ABI) — so the ruleset comes after
// the last mount a process makes, never before.
//
// Best effort, as the Landlock documentation recommends: on a kernel without Landlock (not
// built, or not in the `lsm=` list) landlock_restrict() returns 0 and changes nothing; callers
// say so in their log. A path in the rules that does not exist is skipped (nothing beneath it
// can be reached either). Any other failure is an error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace vpnns {

// Landlock's file-system rights (the kernel's numbering, stable across versions).
inline constexpr std::uint64_t kLandlockExecute = 1ULL << 0;
inline constexpr std::uint64_t kLandlockWriteFile = 1ULL << 1;
inline constexpr std::uint64_t kLandlockReadFile = 1ULL << 2;
inline constexpr std::uint64_t kLandlockReadDir = 1ULL << 3;
inline constexpr std::uint64_t kLandlockRemoveDir = 1ULL << 4;
inline constexpr std::uint64_t kLandlockRemoveFile = 1ULL << 5;
inline constexpr std::uint64_t kLandlockMakeChar = 1ULL << 6;
inline constexpr std::uint64_t kLandlockMakeDir = 1ULL << 7;
inline constexpr std::uint64_t kLandlockMakeReg = 1ULL << 8;
inline constexpr std::uint64_t kLandlockMakeSock = 1ULL << 9;
inline constexpr std::uint64_t kLandlockMakeFifo = 1ULL << 10;
inline constexpr std::uint64_t kLandlockMakeBlock = 1ULL << 11;
inline constexpr std::uint64_t kLandlockMakeSym = 1ULL << 12;
inline constexpr std::uint64_t kLandlockRefer = 1ULL << 13;     // ABI 2
inline constexpr std::uint64_t kLandlockTruncate = 1ULL << 14;  // ABI 3
inline constexpr std::uint64_t kLandlockIoctlDev = 1ULL << 15;  // ABI 5

// Reading files and listing directories.
inline constexpr std::uint64_t kLandlockRead = kLandlockReadFile | kLandlockReadDir;
// Writing, creating, replacing (rename within the directory) and removing regular files.
inline constexpr std::uint64_t kLandlockWriteFiles =
    kLandlockWriteFile | kLandlockTruncate | kLandlockMakeReg | kLandlockRemoveFile;

// Access to `path` and everything beneath it.
struct LandlockRule {
  std::string path;
  std::uint64_t access = 0;
};

// The highest Landlock ABI version the running kernel offers; 0 if it has no Landlock.
int landlock_abi();

// Every file-system right the given ABI version knows.
std::uint64_t landlock_handled_rights(int abi);

// Confines the calling thread (and what it forks and executes from now on) to `rules`: every
// right landlock_handled_rights() lists is denied except where a rule grants it. Needs
// PR_SET_NO_NEW_PRIVS (or CAP_SYS_ADMIN). Single-threaded callers only: other threads keep
// their access. Returns the ABI version used, 0 when the kernel has no Landlock.
Result<int> landlock_restrict(const std::vector<LandlockRule>& rules);

}  // namespace vpnns
