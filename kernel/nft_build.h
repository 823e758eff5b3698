// SPDX-License-Identifier: GPL-2.0-or-later
// Building blocks for the nftables tables vpnns owns: rule expressions and the objects of a
// transaction (tables, chains, counters, sets, elements), all in the inet family. The seal
// (helper/seal_nft.h) and the DNS pin (helper/dns_pin_nft.h) are built from them; sets that
// belong to someone else, named by family/table/set, are nft_sets.h's; reading back is
// nft_read.h's.
//
// The tables are small and fixed in shape, so they are written out expression by expression,
// exactly as `nft --debug=netlink` shows the textual rules in each table's header comment; the
// unit tests parse the messages back with libnftnl and compare. Every expression uses register 1
// for data and register 0 for the verdict. Sets get the nftables datatype and byte order that
// make `nft list` print their elements readably.
//
// Builders are pure: they only fill an NftBatch (nft.h), which nft_commit() sends.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"
#include "kernel/nft.h"

namespace vpnns {

// nftables' datatype numbers (nftables src/datatype.h) and byte orders (NFT_BYTEORDER_*, as
// nftables stores them in a set's user data).
inline constexpr std::uint32_t kNftTypeIpv4 = 7;
inline constexpr std::uint32_t kNftTypeIpv6 = 8;
inline constexpr std::uint32_t kNftTypeInetService = 13;
inline constexpr std::uint32_t kNftTypeUid = 24;
inline constexpr std::uint32_t kNftByteorderHost = 1;
inline constexpr std::uint32_t kNftByteorderBig = 2;

// --- rule expressions

// A rule for `chain` of `table` (inet family), to be filled with the expressions below.
NftRule nft_rule(const std::string& table, const char* chain);
// [ meta load KEY => reg 1 ]
void nft_meta(nftnl_rule* r, std::uint32_t key);
// [ cmp eq reg 1 DATA ]
void nft_cmp_eq(nftnl_rule* r, const void* data, std::uint32_t len);
// [ payload load LENb @ BASE header + OFFSET => reg 1 ]
void nft_payload(nftnl_rule* r, std::uint32_t base, std::uint32_t offset, std::uint32_t len);
// [ lookup reg 1 set SET ] (SET_ID names a set created in the same transaction)
void nft_lookup(nftnl_rule* r, const char* set, std::uint32_t set_id);
// [ objref type 1 name COUNTER ]
void nft_counter_ref(nftnl_rule* r, const char* counter);
// [ immediate reg 0 VERDICT ]
void nft_verdict(nftnl_rule* r, int verdict);

// --- objects of a transaction (all in the inet family)

// NEWTABLE / DELTABLE of `table`, with a comment (NEWTABLE only; empty: none).
void nft_table_message(NftBatch& b, std::uint16_t type, std::uint16_t flags,
                       const std::string& table, const std::string& comment,
                       const std::string& what);
// Makes sure `table` exists, deletes it, creates it fresh with `comment`: a stale table of that
// name is replaced within the same transaction, so there is no moment without one.
void nft_table_replace(NftBatch& b, const std::string& table, const std::string& comment);
// A named counter object.
void nft_counter(NftBatch& b, const std::string& table, const char* name);
// A named set of `key_len`-byte keys of nftables datatype `type`.
void nft_set(NftBatch& b, const std::string& table, const char* name, std::uint32_t id,
             std::uint32_t type, std::uint32_t key_len, std::uint32_t byteorder);
// NEWSETELEM (add) or DELSETELEM (remove) of one element; `shown` describes it for errors.
void nft_set_element(NftBatch& b, bool add, const std::string& table, const char* set,
                     std::uint32_t id, const void* key, std::uint32_t len,
                     const std::string& shown);
// A base chain: `type filter hook HOOK priority PRIO; policy accept;`.
void nft_base_chain(NftBatch& b, const std::string& table, const char* chain, std::uint32_t hooknum,
                    std::int32_t priority);
// Appends `rule` to its chain.
void nft_append_rule(NftBatch& b, const NftRule& rule, const std::string& what);
// Deletes `table` (DELTABLE; the kernel refuses if there is none).
void build_table_delete(NftBatch& batch, const std::string& table);

}  // namespace vpnns
