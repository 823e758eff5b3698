// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/nft_read.h"

#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>
#include <cstring>

namespace vpnns {
namespace {

constexpr std::uint16_t kInet = NFPROTO_INET;

// NFTNL_UDATA_TABLE_COMMENT and NFTNL_UDATA_SET_ELEM_COMMENT are both type 0.
static_assert(static_cast<int>(NFTNL_UDATA_TABLE_COMMENT) ==
              static_cast<int>(NFTNL_UDATA_SET_ELEM_COMMENT));
int comment_cb(const nftnl_udata* attr, void* data) {
  if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT) {
    const char* v = static_cast<const char*>(nftnl_udata_get(attr));
    const auto len = nftnl_udata_len(attr);
    static_cast<std::string*>(data)->assign(v, strnlen(v, len));
  }
  return 0;
}

bool is_missing(const Status& s) { return !s.ok() && s.error().sys_errno() == ENOENT; }

NftSet set_named(const std::string& table, const std::string& set) {
  NftSet s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set.c_str());
  return s;
}

// GETSETELEM dump of one set; `what` describes it for errors.
Result<bool> read_elements(NetlinkSocket& sock, std::uint16_t family, const std::string& table,
                           const std::string& set, const std::string& what,
                           const NftElementFn& on_element) {
  alignas(nlmsghdr) char buf[4096];
  NftSet s = set_named(table, set);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, family, 0, 0);
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  Status status = sock.dump(
      nlh,
      [&](const nlmsghdr* m) -> Status {
        parse_set_elements(m, on_element);
        return ok_status();
      },
      what);
  if (is_missing(status)) return false;
  VPNNS_TRY(status);
  return true;
}

}  // namespace

// --- parsers

std::optional<std::string> parse_table_comment(const nlmsghdr* nlh) {
  NftTable got(nftnl_table_alloc());
  if (nftnl_table_nlmsg_parse(nlh, got.get()) < 0) return std::nullopt;
  std::string comment;
  std::uint32_t len = 0;
  const void* ud = nftnl_table_get_data(got.get(), NFTNL_TABLE_USERDATA, &len);
  if (ud != nullptr) nftnl_udata_parse(ud, len, comment_cb, &comment);
  return comment;
}

std::optional<NftSetInfo> parse_set_info(const nlmsghdr* nlh) {
  NftSet got(nftnl_set_alloc());
  if (nftnl_set_nlmsg_parse(nlh, got.get()) < 0) return std::nullopt;
  return NftSetInfo{nftnl_set_get_u32(got.get(), NFTNL_SET_KEY_TYPE),
                    nftnl_set_get_u32(got.get(), NFTNL_SET_KEY_LEN),
                    nftnl_set_get_u32(got.get(), NFTNL_SET_FLAGS)};
}

bool parse_set_elements(const nlmsghdr* nlh, const NftElementFn& on_element) {
  NftSet got(nftnl_set_alloc());
  if (nftnl_set_elems_nlmsg_parse(nlh, got.get()) < 0) return false;
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(got.get());
  for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e != nullptr;
       e = nftnl_set_elems_iter_next(it)) {
    std::uint32_t len = 0;
    const auto* key =
        static_cast<const std::uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
    const bool end =
        nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
        (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END) != 0;
    std::string comment;
    std::uint32_t ud_len = 0;
    const void* ud = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)
                         ? nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ud_len)
                         : nullptr;
    if (ud != nullptr) nftnl_udata_parse(ud, ud_len, comment_cb, &comment);
    on_element(NftElement{
        key != nullptr ? std::span<const std::uint8_t>(key, len) : std::span<const std::uint8_t>(),
        end, comment});
  }
  nftnl_set_elems_iter_destroy(it);
  return true;
}

// --- inet tables by name

Result<std::optional<std::string>> nft_read_table(NetlinkSocket& sock, const std::string& table) {
  alignas(nlmsghdr) char buf[4096];
  NftTable t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, kInet, 0, 0);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  std::optional<std::string> comment;
  Status s = sock.request(nlh, "reading " + nft_where(table), [&](const nlmsghdr* m) -> Status {
    if (auto c = parse_table_comment(m)) comment = std::move(*c);
    return ok_status();
  });
  if (is_missing(s)) return std::optional<std::string>();
  VPNNS_TRY(s);
  return comment;
}

Result<std::size_t> nft_count_rules(NetlinkSocket& sock, const std::string& table,
                                    const char* chain) {
  alignas(nlmsghdr) char buf[4096];
  NftRule r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, kInet, 0, 0);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  std::size_t rules = 0;
  Status s = sock.dump(
      nlh,
      [&](const nlmsghdr*) -> Status {
        ++rules;
        return ok_status();
      },
      "reading the rules of " + nft_where(table));
  if (is_missing(s)) return std::size_t{0};
  VPNNS_TRY(s);
  return rules;
}

Result<bool> nft_read_set(NetlinkSocket& sock, const std::string& table, const char* set,
                          const std::function<void(std::span<const std::uint8_t>)>& on_key) {
  return read_elements(sock, kInet, table, set,
                       std::string("reading set ") + set + " of " + nft_where(table),
                       [&](const NftElement& e) {
                         if (!e.key.empty()) on_key(e.key);
                       });
}

Result<std::optional<std::uint64_t>> nft_read_counter(NetlinkSocket& sock, const std::string& table,
                                                      const char* counter) {
  alignas(nlmsghdr) char buf[4096];
  NftObj o(nftnl_obj_alloc());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, table.c_str());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, counter);
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, kInet, 0, 0);
  nftnl_obj_nlmsg_build_payload(nlh, o.get());
  std::optional<std::uint64_t> packets;
  Status s =
      sock.request(nlh, "reading counter " + std::string(counter) + " of " + nft_where(table),
                   [&](const nlmsghdr* m) -> Status {
                     NftObj got(nftnl_obj_alloc());
                     if (nftnl_obj_nlmsg_parse(m, got.get()) == 0) {
                       packets = nftnl_obj_get_u64(got.get(), NFTNL_OBJ_CTR_PKTS);
                     }
                     return ok_status();
                   });
  if (is_missing(s)) return std::optional<std::uint64_t>();
  VPNNS_TRY(s);
  return packets;
}

// --- any family

Result<std::optional<NftSetInfo>> nft_read_set_info(NetlinkSocket& sock, const SetRef& ref) {
  alignas(nlmsghdr) char buf[4096];
  NftSet s = set_named(ref.table, ref.set);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, nfproto_of(ref.family));
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, nfproto_of(ref.family), 0, 0);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  std::optional<NftSetInfo> out;
  Status st = sock.request(nlh, "reading set " + ref.str(), [&](const nlmsghdr* m) -> Status {
    if (auto info = parse_set_info(m)) out = *info;
    return ok_status();
  });
  if (is_missing(st)) return std::optional<NftSetInfo>();
  VPNNS_TRY(st);
  return out;
}

Result<bool> nft_read_elements(NetlinkSocket& sock, const SetRef& ref,
                               const NftElementFn& on_element) {
  return read_elements(sock, nfproto_of(ref.family), ref.table, ref.set, "reading set " + ref.str(),
                       on_element);
}

}  // namespace vpnns
