// SPDX-License-Identifier: GPL-2.0-or-later
// The in-memory rtnetlink of fake_kernel.h: links, addresses and routes per namespace.
#include "tests/unit/fake_kernel.h"

#include <linux/if.h>

#include <algorithm>

namespace vpnns::testing {
namespace {

bool same_route_key(const RouteSpec& a, const RouteSpec& b) {
  return a.dst == b.dst && a.priority == b.priority && a.table == b.table;
}

class FakeLinkOps final : public LinkOps {
 public:
  FakeLinkOps(FakeKernel& kernel, FakeNamespace& ns, FakeNamespace* target)
      : k_(kernel), ns_(ns), target_(target) {}

  Result<std::vector<LinkInfo>> links() override { return ns_.links; }

  Result<std::optional<LinkInfo>> find_link(const std::string& name) override {
    const LinkInfo* l = ns_.link(name);
    return l ? std::optional(*l) : std::nullopt;
  }

  Status move_link(int ifindex, const std::string& what) override {
    VPNNS_TRY(change(what, "link move " + std::to_string(ifindex)));
    auto it = find(ifindex);
    if (it == ns_.links.end()) return fail(what, ENODEV);
    if (!target_) return fail(what, EINVAL);
    if (target_->link(it->name)) return fail(what, EEXIST);
    LinkInfo moved = *it;
    moved.ifindex = 0;
    moved.flags &= ~static_cast<unsigned>(IFF_UP);
    forget(ifindex);
    ns_.links.erase(it);
    target_->add_link(moved);
    return ok_status();
  }

  Status set_link(int ifindex, std::optional<std::uint32_t> mtu, std::optional<bool> up,
                  const std::string& what) override {
    VPNNS_TRY(change(what, "link set " + std::to_string(ifindex)));
    auto it = find(ifindex);
    if (it == ns_.links.end()) return fail(what, ENODEV);
    if (mtu) it->mtu = *mtu;
    if (up && *up) it->flags |= IFF_UP;
    if (up && !*up) {
      it->flags &= ~static_cast<unsigned>(IFF_UP);
      std::erase_if(ns_.routes, [&](const RouteInfo& r) { return r.spec.oif == ifindex; });
    }
    return ok_status();
  }

  Result<std::vector<AddrInfo>> addresses() override { return ns_.addrs; }

  Status change_address(bool add, int ifindex, const AddrSpec& spec,
                        const std::string& what) override {
    VPNNS_TRY(change(what, std::string("address ") + (add ? "add " : "del ") + spec.local.str()));
    if (find(ifindex) == ns_.links.end()) return fail(what, ENODEV);
    auto same = [&](const AddrInfo& a) {
      return a.ifindex == ifindex && a.spec.local == spec.local;
    };
    const bool had = std::ranges::any_of(ns_.addrs, same);
    if (!add && !had) return fail(what, EADDRNOTAVAIL);
    std::erase_if(ns_.addrs, same);
    if (add) ns_.addrs.push_back(AddrInfo{ifindex, spec});
    return ok_status();
  }

  Result<std::vector<RouteInfo>> routes(Family family) override {
    std::vector<RouteInfo> out;
    for (const RouteInfo& r : ns_.routes) {
      if (r.spec.dst.family() == family) out.push_back(r);
    }
    return out;
  }

  Status change_route(bool add, const RouteSpec& spec, const std::string& what) override {
    VPNNS_TRY(change(what, std::string("route ") + (add ? "add " : "del ") + spec.dst.str()));
    auto same = [&](const RouteInfo& r) { return same_route_key(r.spec, spec); };
    if (!add) {
      if (!std::ranges::any_of(ns_.routes, same)) return fail(what, ESRCH);
      std::erase_if(ns_.routes, same);
      return ok_status();
    }
    if (find(spec.oif) == ns_.links.end()) return fail(what, ENODEV);
    auto it = std::ranges::find_if(ns_.routes, same);
    if (it != ns_.routes.end()) {
      it->spec = spec;  // replace in place, as NLM_F_REPLACE does
    } else {
      ns_.routes.push_back(RouteInfo{spec, 1});
    }
    return ok_status();
  }

 private:
  std::vector<LinkInfo>::iterator find(int ifindex) {
    return std::ranges::find_if(ns_.links, [&](const LinkInfo& l) { return l.ifindex == ifindex; });
  }
  // A device that leaves takes its addresses and routes with it.
  void forget(int ifindex) {
    std::erase_if(ns_.addrs, [&](const AddrInfo& a) { return a.ifindex == ifindex; });
    std::erase_if(ns_.routes, [&](const RouteInfo& r) { return r.spec.oif == ifindex; });
  }
  Status change(const std::string& what, const std::string& entry) {
    int err = 0;
    if (!k_.take_change(entry + " in " + ns_.name, err)) return fail(what, err);
    return ok_status();
  }
  static Status fail(const std::string& what, int err) { return sys_error(what, err); }

  FakeKernel& k_;
  FakeNamespace& ns_;
  FakeNamespace* target_;
};

}  // namespace

int FakeNamespace::add_link(LinkInfo link) {
  if (link.ifindex == 0) link.ifindex = next_ifindex;
  next_ifindex = std::max(next_ifindex, link.ifindex + 1);
  links.push_back(link);
  return link.ifindex;
}

const LinkInfo* FakeNamespace::link(const std::string& n) const {
  auto it = std::ranges::find_if(links, [&](const LinkInfo& l) { return l.name == n; });
  return it == links.end() ? nullptr : &*it;
}

std::vector<AddrSpec> FakeNamespace::addresses_of(int ifindex) const {
  std::vector<AddrSpec> out;
  for (const AddrInfo& a : addrs) {
    if (a.ifindex == ifindex) out.push_back(a.spec);
  }
  return out;
}

std::vector<RouteSpec> FakeNamespace::routes_of(std::uint8_t protocol) const {
  std::vector<RouteSpec> out;
  for (const RouteInfo& r : routes) {
    if (r.spec.protocol == protocol) out.push_back(r.spec);
  }
  return out;
}

bool operator==(const FakeNamespace& a, const FakeNamespace& b) {
  auto same_links = std::ranges::equal(a.links, b.links, [](const LinkInfo& x, const LinkInfo& y) {
    return x.ifindex == y.ifindex && x.name == y.name && x.kind == y.kind && x.flags == y.flags &&
           x.mtu == y.mtu && x.tun_type == y.tun_type;
  });
  // Addresses and routes are compared as sets: an undone deletion re-adds at the end.
  auto same_addrs =
      std::ranges::is_permutation(a.addrs, b.addrs, [](const AddrInfo& x, const AddrInfo& y) {
        return x.ifindex == y.ifindex && x.spec == y.spec;
      });
  auto same_routes = std::ranges::is_permutation(
      a.routes, b.routes,
      [](const RouteInfo& x, const RouteInfo& y) { return x.spec == y.spec && x.type == y.type; });
  return same_links && same_addrs && same_routes;
}

FakeKernel::FakeKernel() { inner.add_link(LinkInfo{0, "lo", "", std::nullopt, 0, 65536}); }

std::unique_ptr<LinkOps> FakeKernel::ops(FakeNamespace& ns, FakeNamespace* move_target) {
  return std::make_unique<FakeLinkOps>(*this, ns, move_target);
}

bool FakeKernel::take_change(const std::string& what, int& errno_out) {
  ++changes_;
  if (changes_ == fail_at_) {
    errno_out = fail_errno_;
    log_.push_back(what + " (failed)");
    return false;
  }
  log_.push_back(what);
  return true;
}

}  // namespace vpnns::testing
