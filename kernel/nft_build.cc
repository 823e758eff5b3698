// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/nft_build.h"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cstring>

namespace vpnns {
namespace {

constexpr std::uint16_t kFamily = NFPROTO_INET;

using Expr = std::unique_ptr<nftnl_expr, NftDeleter>;

Expr expr(const char* name) { return Expr(nftnl_expr_alloc(name)); }

void add(nftnl_rule* r, Expr e) { nftnl_rule_add_expr(r, e.release()); }

struct UdataBuf {
  UdataBuf() : p(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN)) {}
  ~UdataBuf() { nftnl_udata_buf_free(p); }
  UdataBuf(const UdataBuf&) = delete;
  UdataBuf& operator=(const UdataBuf&) = delete;
  nftnl_udata_buf* p;
};

NftSet named_set(const std::string& table, const char* name, std::uint32_t id) {
  NftSet s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, kFamily);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, id);
  return s;
}

}  // namespace

// --- rule expressions

NftRule nft_rule(const std::string& table, const char* chain) {
  NftRule r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain);
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, kFamily);
  return r;
}

void nft_meta(nftnl_rule* r, std::uint32_t key) {
  auto e = expr("meta");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, NFT_REG_1);
  add(r, std::move(e));
}

void nft_cmp_eq(nftnl_rule* r, const void* data, std::uint32_t len) {
  auto e = expr("cmp");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data, len);
  add(r, std::move(e));
}

void nft_payload(nftnl_rule* r, std::uint32_t base, std::uint32_t offset, std::uint32_t len) {
  auto e = expr("payload");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, len);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  add(r, std::move(e));
}

void nft_lookup(nftnl_rule* r, const char* set, std::uint32_t set_id) {
  auto e = expr("lookup");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, set);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SET_ID, set_id);
  add(r, std::move(e));
}

void nft_counter_ref(nftnl_rule* r, const char* counter) {
  auto e = expr("objref");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_OBJREF_IMM_NAME, counter);
  add(r, std::move(e));
}

void nft_verdict(nftnl_rule* r, int verdict) {
  auto e = expr("immediate");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(verdict));
  add(r, std::move(e));
}

// --- objects

void nft_table_message(NftBatch& b, std::uint16_t type, std::uint16_t flags,
                       const std::string& table, const std::string& comment,
                       const std::string& what) {
  NftTable t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, kFamily);
  UdataBuf ud;
  if (!comment.empty()) {
    nftnl_udata_put_strz(ud.p, NFTNL_UDATA_TABLE_COMMENT, comment.c_str());
    nftnl_table_set_data(t.get(), NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud.p),
                         nftnl_udata_buf_len(ud.p));
  }
  nlmsghdr* nlh = b.add(type, kFamily, flags, what);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
}

void nft_table_replace(NftBatch& b, const std::string& table, const std::string& comment) {
  const std::string w = nft_where(table);
  nft_table_message(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, table, {}, "making sure " + w + " exists");
  nft_table_message(b, NFT_MSG_DELTABLE, 0, table, {}, "removing the previous " + w);
  nft_table_message(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, table, comment,
                    "creating " + w);
}

void nft_counter(NftBatch& b, const std::string& table, const char* name) {
  NftObj counter(nftnl_obj_alloc());
  nftnl_obj_set_str(counter.get(), NFTNL_OBJ_TABLE, table.c_str());
  nftnl_obj_set_str(counter.get(), NFTNL_OBJ_NAME, name);
  nftnl_obj_set_u32(counter.get(), NFTNL_OBJ_FAMILY, kFamily);
  nftnl_obj_set_u32(counter.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  nlmsghdr* nlh = b.add(NFT_MSG_NEWOBJ, kFamily, NLM_F_CREATE,
                        std::string("adding counter ") + name + " to " + nft_where(table));
  nftnl_obj_nlmsg_build_payload(nlh, counter.get());
}

void nft_set(NftBatch& b, const std::string& table, const char* name, std::uint32_t id,
             std::uint32_t type, std::uint32_t key_len, std::uint32_t byteorder) {
  NftSet s = named_set(table, name, id);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, type);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, key_len);
  UdataBuf ud;
  nftnl_udata_put_u32(ud.p, NFTNL_UDATA_SET_KEYBYTEORDER, byteorder);
  nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.p),
                     nftnl_udata_buf_len(ud.p));
  nlmsghdr* nlh = b.add(NFT_MSG_NEWSET, kFamily, NLM_F_CREATE,
                        std::string("adding set ") + name + " to " + nft_where(table));
  nftnl_set_nlmsg_build_payload(nlh, s.get());
}

void nft_set_element(NftBatch& b, bool add_it, const std::string& table, const char* set,
                     std::uint32_t id, const void* key, std::uint32_t len,
                     const std::string& shown) {
  NftSet s = named_set(table, set, id);
  nftnl_set_elem* e = nftnl_set_elem_alloc();
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
  nftnl_set_elem_add(s.get(), e);
  nlmsghdr* nlh =
      b.add(add_it ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, kFamily, add_it ? NLM_F_CREATE : 0,
            std::string(add_it ? "adding " : "removing ") + shown +
                (add_it ? " to set " : " from set ") + set + " of " + nft_where(table));
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
}

void nft_base_chain(NftBatch& b, const std::string& table, const char* chain, std::uint32_t hooknum,
                    std::int32_t priority) {
  NftChain c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, chain);
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, kFamily);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, hooknum);
  nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, priority);
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  nlmsghdr* nlh = b.add(NFT_MSG_NEWCHAIN, kFamily, NLM_F_CREATE,
                        std::string("adding chain ") + chain + " to " + nft_where(table));
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
}

void nft_append_rule(NftBatch& b, const NftRule& rule, const std::string& what) {
  nlmsghdr* nlh = b.add(NFT_MSG_NEWRULE, kFamily, NLM_F_CREATE | NLM_F_APPEND, what);
  nftnl_rule_nlmsg_build_payload(nlh, rule.get());
}

void build_table_delete(NftBatch& b, const std::string& table) {
  nft_table_message(b, NFT_MSG_DELTABLE, 0, table, {}, "removing " + nft_where(table));
}

}  // namespace vpnns
