#include "helper/seal_nft.h"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>

namespace vpnns {
namespace {

// nftables' datatype numbers (nftables src/datatype.h) and byte orders, stored with each set
// so that `nft list` prints the elements as uids and addresses.
constexpr std::uint32_t kTypeIpv4 = 7;
constexpr std::uint32_t kTypeIpv6 = 8;
constexpr std::uint32_t kTypeUid = 24;
constexpr std::uint32_t kByteorderHost = 1;
constexpr std::uint32_t kByteorderBig = 2;

// Batch-local set ids, so rules and elements can name sets created in the same transaction.
constexpr std::uint32_t kUidsId = 1;
constexpr std::uint32_t kServer4Id = 2;
constexpr std::uint32_t kServer6Id = 3;

constexpr std::uint16_t kFamily = NFPROTO_INET;

std::string where(const std::string& table) { return "table inet " + table; }

// --- expressions

using Expr = std::unique_ptr<nftnl_expr, NftDeleter>;

Expr expr(const char* name) { return Expr(nftnl_expr_alloc(name)); }

void add(nftnl_rule* r, Expr e) { nftnl_rule_add_expr(r, e.release()); }

void add_meta(nftnl_rule* r, std::uint32_t key) {
  auto e = expr("meta");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, NFT_REG_1);
  add(r, std::move(e));
}

void add_cmp_eq(nftnl_rule* r, const void* data, std::uint32_t len) {
  auto e = expr("cmp");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data, len);
  add(r, std::move(e));
}

void add_lookup(nftnl_rule* r, const char* set, std::uint32_t set_id) {
  auto e = expr("lookup");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, set);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SET_ID, set_id);
  add(r, std::move(e));
}

// `ip daddr @server4` / `ip6 daddr @server6`: protocol check, destination, set lookup.
void add_daddr_in_server_set(nftnl_rule* r, Family f) {
  add_meta(r, NFT_META_NFPROTO);
  const std::uint8_t proto = f == Family::kV4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
  add_cmp_eq(r, &proto, sizeof proto);
  auto e = expr("payload");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, f == Family::kV4 ? 16 : 24);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, f == Family::kV4 ? 4 : 16);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  add(r, std::move(e));
  add_lookup(r, f == Family::kV4 ? kSealServer4 : kSealServer6,
             f == Family::kV4 ? kServer4Id : kServer6Id);
}

void add_verdict(nftnl_rule* r, int verdict) {
  auto e = expr("immediate");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(verdict));
  add(r, std::move(e));
}

NftRule seal_rule(const SealSpec& spec, Family f, bool accept) {
  NftRule r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, spec.table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, kSealChain);
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, kFamily);
  add_daddr_in_server_set(r.get(), f);
  if (accept) {
    if (spec.mark) {
      add_meta(r.get(), NFT_META_MARK);
      add_cmp_eq(r.get(), &*spec.mark, sizeof *spec.mark);
    } else {
      add_meta(r.get(), NFT_META_SKUID);
      add_lookup(r.get(), kSealUids, kUidsId);
    }
    add_verdict(r.get(), NF_ACCEPT);
  } else {
    auto e = expr("objref");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_OBJREF_IMM_NAME, kSealCounter);
    add(r.get(), std::move(e));
    add_verdict(r.get(), NF_DROP);
  }
  return r;
}

// --- objects

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

void add_set(NftBatch& b, const std::string& table, const char* name, std::uint32_t id,
             std::uint32_t type, std::uint32_t len, std::uint32_t byteorder) {
  NftSet s = named_set(table, name, id);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, type);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, len);
  UdataBuf ud;
  nftnl_udata_put_u32(ud.p, NFTNL_UDATA_SET_KEYBYTEORDER, byteorder);
  nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.p),
                     nftnl_udata_buf_len(ud.p));
  nlmsghdr* nlh = b.add(NFT_MSG_NEWSET, kFamily, NLM_F_CREATE,
                        std::string("adding set ") + name + " to " + where(table));
  nftnl_set_nlmsg_build_payload(nlh, s.get());
}

// NEWSETELEM or DELSETELEM with one element of `len` bytes.
void set_element(NftBatch& b, std::uint16_t type, const std::string& table, const char* set,
                 std::uint32_t id, const void* key, std::uint32_t len, const std::string& shown) {
  NftSet s = named_set(table, set, id);
  nftnl_set_elem* e = nftnl_set_elem_alloc();
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
  nftnl_set_elem_add(s.get(), e);
  const bool adding = type == NFT_MSG_NEWSETELEM;
  nlmsghdr* nlh = b.add(type, kFamily, adding ? NLM_F_CREATE : 0,
                        std::string(adding ? "adding " : "removing ") + shown +
                            (adding ? " to set " : " from set ") + set + " of " + where(table));
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
}

void server_element(NftBatch& b, std::uint16_t type, const std::string& table, const IpAddr& a) {
  const bool v4 = a.is_v4();
  set_element(b, type, table, v4 ? kSealServer4 : kSealServer6, v4 ? kServer4Id : kServer6Id,
              a.bytes().data(), static_cast<std::uint32_t>(a.bytes().size()), "address " + a.str());
}

void uid_element(NftBatch& b, std::uint16_t type, const std::string& table, std::uint32_t uid) {
  set_element(b, type, table, kSealUids, kUidsId, &uid, sizeof uid, "uid " + std::to_string(uid));
}

void table_message(NftBatch& b, std::uint16_t type, std::uint16_t flags, const std::string& table,
                   const std::string& comment, const std::string& what) {
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

// --- reading back

int comment_cb(const nftnl_udata* attr, void* data) {
  if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT) {
    const char* v = static_cast<const char*>(nftnl_udata_get(attr));
    const auto len = nftnl_udata_len(attr);
    static_cast<std::string*>(data)->assign(v, strnlen(v, len));
  }
  return 0;
}

bool is_missing(const Status& s) { return !s.ok() && (s.error().sys_errno() == ENOENT); }

}  // namespace

void build_seal_install(NftBatch& b, const SealSpec& spec) {
  const std::string& t = spec.table;
  table_message(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, t, {}, "making sure " + where(t) + " exists");
  table_message(b, NFT_MSG_DELTABLE, 0, t, {}, "removing the previous " + where(t));
  table_message(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, t, spec.comment,
                "creating " + where(t));

  NftObj counter(nftnl_obj_alloc());
  nftnl_obj_set_str(counter.get(), NFTNL_OBJ_TABLE, t.c_str());
  nftnl_obj_set_str(counter.get(), NFTNL_OBJ_NAME, kSealCounter);
  nftnl_obj_set_u32(counter.get(), NFTNL_OBJ_FAMILY, kFamily);
  nftnl_obj_set_u32(counter.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  nlmsghdr* nlh = b.add(NFT_MSG_NEWOBJ, kFamily, NLM_F_CREATE,
                        std::string("adding counter ") + kSealCounter + " to " + where(t));
  nftnl_obj_nlmsg_build_payload(nlh, counter.get());

  if (!spec.mark) add_set(b, t, kSealUids, kUidsId, kTypeUid, 4, kByteorderHost);
  add_set(b, t, kSealServer4, kServer4Id, kTypeIpv4, 4, kByteorderBig);
  add_set(b, t, kSealServer6, kServer6Id, kTypeIpv6, 16, kByteorderBig);
  if (!spec.mark) {
    for (std::uint32_t uid : spec.uids) uid_element(b, NFT_MSG_NEWSETELEM, t, uid);
  }
  if (spec.server) server_element(b, NFT_MSG_NEWSETELEM, t, *spec.server);

  NftChain chain(nftnl_chain_alloc());
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, t.c_str());
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, kSealChain);
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_FAMILY, kFamily);
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_OUT);
  nftnl_chain_set_s32(chain.get(), NFTNL_CHAIN_PRIO, 0);
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  nlh = b.add(NFT_MSG_NEWCHAIN, kFamily, NLM_F_CREATE,
              std::string("adding chain ") + kSealChain + " to " + where(t));
  nftnl_chain_nlmsg_build_payload(nlh, chain.get());

  for (Family f : {Family::kV4, Family::kV6}) {
    for (bool accept : {true, false}) {
      NftRule r = seal_rule(spec, f, accept);
      nlh = b.add(NFT_MSG_NEWRULE, kFamily, NLM_F_CREATE | NLM_F_APPEND,
                  std::string("adding the ") + (f == Family::kV4 ? "IPv4 " : "IPv6 ") +
                      (accept ? "accept" : "drop") + " rule to " + where(t));
      nftnl_rule_nlmsg_build_payload(nlh, r.get());
    }
  }
}

void build_seal_server(NftBatch& b, const std::string& table, bool add, const IpAddr& server) {
  server_element(b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, table, server);
}

void build_seal_uid(NftBatch& b, const std::string& table, bool add, std::uint32_t uid) {
  uid_element(b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, table, uid);
}

void build_table_delete(NftBatch& b, const std::string& table) {
  table_message(b, NFT_MSG_DELTABLE, 0, table, {}, "removing " + where(table));
}

Result<SealState> read_seal_state(NetlinkSocket& sock, const std::string& table) {
  SealState st;
  alignas(nlmsghdr) char buf[4096];

  {
    NftTable t(nftnl_table_alloc());
    nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, kFamily, 0, 0);
    nftnl_table_nlmsg_build_payload(nlh, t.get());
    Status s = sock.request(nlh, "reading " + where(table), [&](const nlmsghdr* m) -> Status {
      NftTable got(nftnl_table_alloc());
      if (nftnl_table_nlmsg_parse(m, got.get()) < 0) return ok_status();
      st.exists = true;
      std::uint32_t len = 0;
      const void* ud = nftnl_table_get_data(got.get(), NFTNL_TABLE_USERDATA, &len);
      if (ud != nullptr) nftnl_udata_parse(ud, len, comment_cb, &st.comment);
      return ok_status();
    });
    if (is_missing(s)) return st;
    VPNNS_TRY(s);
  }

  {
    NftRule r(nftnl_rule_alloc());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, kSealChain);
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, kFamily, 0, 0);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    Status s = sock.dump(
        nlh,
        [&](const nlmsghdr*) -> Status {
          ++st.rules;
          return ok_status();
        },
        "reading the rules of " + where(table));
    if (!is_missing(s)) VPNNS_TRY(s);
  }

  auto read_elements = [&](const char* set, auto on_element) -> Result<bool> {
    NftSet s(nftnl_set_alloc());
    nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
    nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set);
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, kFamily, 0, 0);
    nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
    Status status = sock.dump(
        nlh,
        [&](const nlmsghdr* m) -> Status {
          NftSet got(nftnl_set_alloc());
          if (nftnl_set_elems_nlmsg_parse(m, got.get()) < 0) return ok_status();
          nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(got.get());
          for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e != nullptr;
               e = nftnl_set_elems_iter_next(it)) {
            std::uint32_t len = 0;
            const auto* key =
                static_cast<const std::uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
            if (key != nullptr) on_element(key, len);
          }
          nftnl_set_elems_iter_destroy(it);
          return ok_status();
        },
        std::string("reading set ") + set + " of " + where(table));
    if (is_missing(status)) return false;
    VPNNS_TRY(status);
    return true;
  };

  VPNNS_ASSIGN_OR_RETURN(st.has_uid_set,
                         read_elements(kSealUids, [&](const std::uint8_t* k, std::uint32_t n) {
                           std::uint32_t uid = 0;
                           if (n == sizeof uid) {
                             std::memcpy(&uid, k, sizeof uid);
                             st.uids.insert(uid);
                           }
                         }));
  auto add_server = [&](const std::uint8_t* k, std::uint32_t n) {
    if (auto a = IpAddr::from_bytes({k, n})) st.servers.push_back(*a);
  };
  VPNNS_ASSIGN_OR_RETURN(bool has4, read_elements(kSealServer4, add_server));
  VPNNS_ASSIGN_OR_RETURN(bool has6, read_elements(kSealServer6, add_server));
  st.has_server_sets = has4 && has6;

  {
    NftObj o(nftnl_obj_alloc());
    nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, table.c_str());
    nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, kSealCounter);
    nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, kFamily, 0, 0);
    nftnl_obj_nlmsg_build_payload(nlh, o.get());
    Status s = sock.request(
        nlh, "reading counter " + std::string(kSealCounter), [&](const nlmsghdr* m) -> Status {
          NftObj got(nftnl_obj_alloc());
          if (nftnl_obj_nlmsg_parse(m, got.get()) == 0) {
            st.dropped_packets = nftnl_obj_get_u64(got.get(), NFTNL_OBJ_CTR_PKTS);
          }
          return ok_status();
        });
    if (!is_missing(s)) VPNNS_TRY(s);
  }
  return st;
}

bool seal_matches(const SealState& st, const SealSpec& spec) {
  if (!st.exists || st.comment != spec.comment || st.rules != kSealRules || !st.has_server_sets) {
    return false;
  }
  if (spec.mark ? st.has_uid_set : (!st.has_uid_set || st.uids != spec.uids)) return false;
  const std::vector<IpAddr> want =
      spec.server ? std::vector<IpAddr>{*spec.server} : std::vector<IpAddr>{};
  return st.servers == want;
}

}  // namespace vpnns
