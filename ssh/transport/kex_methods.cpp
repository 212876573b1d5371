#include "ssh/transport/kex_methods.hpp"

#include <array>

namespace ssh::transport {
namespace {

using crypto::Curve;
using crypto::HashAlg;

constexpr std::array kMethods = {
    KexMethod{"curve25519-sha256", KexFamily::ecdh, HashAlg::sha256, Curve::x25519},  // RFC 8731
    KexMethod{"curve25519-sha256@libssh.org", KexFamily::ecdh, HashAlg::sha256, Curve::x25519},
    KexMethod{"ecdh-sha2-nistp256", KexFamily::ecdh, HashAlg::sha256, Curve::nistp256},  // RFC 5656 §6.2.1
    KexMethod{"ecdh-sha2-nistp384", KexFamily::ecdh, HashAlg::sha384, Curve::nistp384},
    KexMethod{"ecdh-sha2-nistp521", KexFamily::ecdh, HashAlg::sha512, Curve::nistp521},
    KexMethod{"diffie-hellman-group14-sha256", KexFamily::dh_fixed, HashAlg::sha256, Curve::x25519,
              FixedGroup::group14},  // RFC 8268 §3
    KexMethod{"diffie-hellman-group16-sha512", KexFamily::dh_fixed, HashAlg::sha512, Curve::x25519,
              FixedGroup::group16},
    KexMethod{"diffie-hellman-group18-sha512", KexFamily::dh_fixed, HashAlg::sha512, Curve::x25519,
              FixedGroup::group18},
    KexMethod{"diffie-hellman-group14-sha1", KexFamily::dh_fixed, HashAlg::sha1, Curve::x25519,
              FixedGroup::group14},                                                         // RFC 4253 §8.2
    KexMethod{"diffie-hellman-group-exchange-sha256", KexFamily::dh_gex, HashAlg::sha256},  // RFC 4419 §4.2
    KexMethod{"diffie-hellman-group-exchange-sha1", KexFamily::dh_gex, HashAlg::sha1},
};

}  // namespace

std::optional<KexMethod> find_kex_method(std::string_view name) {
  for (const auto& m : kMethods) {
    if (m.name == name) return m;
  }
  return std::nullopt;
}

}  // namespace ssh::transport
