#pragma once
// The key exchange methods we implement, by family and exchange-hash function.
#include <optional>
#include <string_view>

#include "ssh/crypto/hash.hpp"
#include "ssh/crypto/key_agreement.hpp"

namespace ssh::transport {

enum class KexFamily {
  ecdh,      // RFC 5656 §4 and RFC 8731 (curve25519): string Q_C / Q_S
  dh_fixed,  // RFC 4253 §8 with RFC 3526 groups (RFC 8268): mpint e / f
  dh_gex,    // RFC 4419: the server picks the group
};

enum class FixedGroup { group14, group16, group18 };

struct KexMethod {
  std::string_view name;
  KexFamily family;
  crypto::HashAlg hash;
  crypto::Curve curve = crypto::Curve::x25519;  // ecdh only
  FixedGroup group = FixedGroup::group14;       // dh_fixed only
};

std::optional<KexMethod> find_kex_method(std::string_view name);

}  // namespace ssh::transport
