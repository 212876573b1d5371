#include "gateway/vpn/installed_routes.hpp"

#include "gateway/util/log.hpp"

namespace gateway::vpn {
namespace {

void append(std::string& errors, const std::string& error) {
  if (!errors.empty()) errors += "; ";
  errors += error;
}

}  // namespace

std::unique_ptr<InstalledRoutes> InstalledRoutes::apply(Netlink& netlink, const RoutePlan& plan, int device_index,
                                                        std::string& error) {
  std::unique_ptr<InstalledRoutes> installed(new InstalledRoutes(netlink, plan, device_index));
  std::string failure;
  for (const auto& route : plan.routes) {
    if (!netlink.add_route(route, device_index, failure)) break;
    ++installed->routes_applied_;
  }
  if (failure.empty()) {
    for (const auto& rule : plan.rules) {
      if (!netlink.add_rule(rule, failure)) break;
      ++installed->rules_applied_;
    }
  }
  if (failure.empty()) return installed;

  std::string undo_error;
  if (!installed->remove(undo_error)) failure += "; and while undoing: " + undo_error;
  error = failure;
  return nullptr;
}

InstalledRoutes::~InstalledRoutes() {
  remove();
}

void InstalledRoutes::remove() {
  std::string error;
  if (!remove(error)) log::error("VPN routes: %s", error.c_str());
}

bool InstalledRoutes::remove(std::string& error) {
  const bool ok = undo(rules_applied_, routes_applied_, error);
  rules_applied_ = 0;
  routes_applied_ = 0;
  return ok;
}

bool InstalledRoutes::undo(std::size_t rules, std::size_t routes, std::string& error) {
  std::string errors;
  for (std::size_t i = rules; i-- > 0;) {
    std::string e;
    if (!netlink_.delete_rule(plan_.rules[i], e)) append(errors, e);
  }
  for (std::size_t i = routes; i-- > 0;) {
    std::string e;
    if (!netlink_.delete_route(plan_.routes[i], device_index_, e)) append(errors, e);
  }
  if (errors.empty()) return true;
  error = errors;
  return false;
}

}  // namespace gateway::vpn
