#pragma once
// A RoutePlan put into the kernel, and taken out again: exactly its own routes and rules, nothing
// found there by other means. Routes go in before rules, so a rule never sends traffic into a
// table that is still being filled; on the way out the rules go first for the same reason.
#include <cstddef>
#include <memory>
#include <string>

#include "gateway/vpn/netlink.hpp"
#include "gateway/vpn/route_plan.hpp"

namespace gateway::vpn {

class InstalledRoutes {
 public:
  // All or nothing: when an entry fails, what was applied before it is removed again and `error`
  // names the entry and the kernel's reason ("cannot add route 10.0.0.0/8 to table 7368: File
  // exists"), plus any failure while undoing. `netlink` must outlive the result.
  static std::unique_ptr<InstalledRoutes> apply(Netlink& netlink, const RoutePlan& plan, int device_index,
                                                std::string& error);
  ~InstalledRoutes();
  InstalledRoutes(const InstalledRoutes&) = delete;
  InstalledRoutes& operator=(const InstalledRoutes&) = delete;

  // Removes the plan (once; later calls do nothing). Entries already gone (a device's routes go
  // with the device) are fine; any other failure is logged, and the remaining entries are still
  // removed.
  void remove();
  // The same, reporting failures (every one, "; "-separated) instead of logging them.
  bool remove(std::string& error);

  const RoutePlan& plan() const { return plan_; }

 private:
  InstalledRoutes(Netlink& netlink, const RoutePlan& plan, int device_index)
      : netlink_(netlink), plan_(plan), device_index_(device_index) {}
  // Removes the first `rules` rules and `routes` routes of the plan, last first.
  bool undo(std::size_t rules, std::size_t routes, std::string& error);

  Netlink& netlink_;
  RoutePlan plan_;
  int device_index_;
  std::size_t routes_applied_ = 0;
  std::size_t rules_applied_ = 0;
};

}  // namespace gateway::vpn
