#pragma once
// The tun's DNS through systemd-resolved, when it runs: the link gets the tun's DNS address, the
// routing-only domain "~." (every name goes to it) and the default route (D-Bus API of
// org.freedesktop.resolve1, as resolvectl dns / domain / default-route set them). resolved forgets
// a link's settings when the link goes away, so a crash leaves nothing behind; revert() is for a
// clean stop with the link still there.
#include <memory>
#include <optional>
#include <string>

#include "tun/address.hpp"

namespace gateway::vpn {

class ResolvedLink {
 public:
  // systemd-resolved owns its name on the system bus.
  static bool running();
  // nullopt with `error` when resolved refused a setting (the link is reverted then).
  static std::optional<ResolvedLink> apply(int ifindex, const tun::IpAddress& dns, std::string& error);
  ResolvedLink(ResolvedLink&& other) noexcept : ifindex_(other.ifindex_) { other.ifindex_ = 0; }
  ResolvedLink& operator=(ResolvedLink&&) = delete;
  ~ResolvedLink() { revert(); }

  // RevertLink: resolved drops what we set. Idempotent.
  void revert();

 private:
  explicit ResolvedLink(int ifindex) : ifindex_(ifindex) {}
  int ifindex_ = 0;
};

}  // namespace gateway::vpn
