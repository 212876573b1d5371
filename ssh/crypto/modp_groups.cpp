// The MODP groups of RFC 3526 (§3 group 14, §5 group 16, §7 group 18) used by
// diffie-hellman-group{14,16,18}-sha* (RFC 4253 §8.2, RFC 8268 §3). OpenSSL carries the same
// constants; taking them from there avoids hand-transcribing 14 000 hex digits.
#include <openssl/bn.h>

#include "ssh/crypto/key_agreement.hpp"

namespace ssh::crypto {
namespace {

Bytes to_bytes(BIGNUM* (*get)(BIGNUM*)) {
  BIGNUM* bn = get(nullptr);
  if (bn == nullptr) return {};
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  BN_free(bn);
  return out;
}

}  // namespace

ByteView modp_group14_prime() {
  static const Bytes prime = to_bytes(BN_get_rfc3526_prime_2048);
  return prime;
}

ByteView modp_group16_prime() {
  static const Bytes prime = to_bytes(BN_get_rfc3526_prime_4096);
  return prime;
}

ByteView modp_group18_prime() {
  static const Bytes prime = to_bytes(BN_get_rfc3526_prime_8192);
  return prime;
}

}  // namespace ssh::crypto
