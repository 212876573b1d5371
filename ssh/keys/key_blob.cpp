#include "ssh/keys/key_blob.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <array>

#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::keys {
namespace {

struct CurveName {
  std::string_view ssh_curve;  // RFC 5656 §10.1 identifier
  std::string_view openssl_group;
  std::size_t point_size;  // uncompressed point: 0x04 | X | Y
};

constexpr std::array<CurveName, 3> kCurves = {{
    {"nistp256", SN_X9_62_prime256v1, 65},
    {"nistp384", SN_secp384r1, 97},
    {"nistp521", SN_secp521r1, 133},
}};

const CurveName* curve_for_group(std::string_view group) {
  // OpenSSL may report a NIST name ("P-256") or the SEC/X9.62 short name.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kAliases = {
      {{"P-256", SN_X9_62_prime256v1}, {"P-384", SN_secp384r1}, {"P-521", SN_secp521r1}}};
  for (const auto& [alias, name] : kAliases) {
    if (group == alias) group = name;
  }
  for (const auto& c : kCurves) {
    if (c.openssl_group == group) return &c;
  }
  return nullptr;
}

const CurveName* curve_for_ssh(std::string_view ssh_curve) {
  for (const auto& c : kCurves) {
    if (c.ssh_curve == ssh_curve) return &c;
  }
  return nullptr;
}

std::string ec_group_name(const EVP_PKEY* pkey) {
  std::array<char, 64> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(), &len) != 1) {
    return {};
  }
  return std::string(name.data(), len);
}

bool put_bn_param(wire::Writer& w, const EVP_PKEY* pkey, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1 || bn == nullptr) return false;
  Bytes magnitude(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, magnitude.data());
  BN_free(bn);
  w.mpint_unsigned(magnitude);
  return true;
}

}  // namespace

std::string_view ecdsa_curve_of_key_type(std::string_view key_type) {
  constexpr std::string_view kPrefix = "ecdsa-sha2-";
  if (key_type.substr(0, kPrefix.size()) != kPrefix) return {};
  const CurveName* c = curve_for_ssh(key_type.substr(kPrefix.size()));
  return c == nullptr ? std::string_view{} : c->ssh_curve;
}

std::string ssh_key_type(const EVP_PKEY* pkey) {
  if (pkey == nullptr) return {};
  if (EVP_PKEY_is_a(pkey, "ED25519")) return "ssh-ed25519";
  if (EVP_PKEY_is_a(pkey, "RSA")) return "ssh-rsa";
  if (EVP_PKEY_is_a(pkey, "EC")) {
    const CurveName* c = curve_for_group(ec_group_name(pkey));
    if (c != nullptr) return "ecdsa-sha2-" + std::string(c->ssh_curve);
  }
  return {};
}

std::optional<Bytes> encode_public_blob(const EVP_PKEY* pkey) {
  const std::string type = ssh_key_type(pkey);
  if (type.empty()) return std::nullopt;
  wire::Writer w;
  w.string(type);
  if (type == "ssh-ed25519") {
    std::array<std::uint8_t, 32> pub{};
    std::size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(pkey, pub.data(), &len) != 1 || len != pub.size()) return std::nullopt;
    w.string(ByteView(pub));
  } else if (type == "ssh-rsa") {
    // RFC 4253 §6.6: e before n.
    if (!put_bn_param(w, pkey, OSSL_PKEY_PARAM_RSA_E) || !put_bn_param(w, pkey, OSSL_PKEY_PARAM_RSA_N)) {
      return std::nullopt;
    }
  } else {
    const CurveName* c = curve_for_group(ec_group_name(pkey));
    if (c == nullptr) return std::nullopt;
    // Take the affine coordinates rather than the stored encoding, which may be compressed.
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    Bytes point(c->point_size);
    const std::size_t coord = (c->point_size - 1) / 2;
    const bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
                    BN_bn2binpad(x, point.data() + 1, static_cast<int>(coord)) == static_cast<int>(coord) &&
                    BN_bn2binpad(y, point.data() + 1 + coord, static_cast<int>(coord)) == static_cast<int>(coord);
    BN_free(x);
    BN_free(y);
    if (!ok) return std::nullopt;
    point[0] = POINT_CONVERSION_UNCOMPRESSED;
    w.string(c->ssh_curve);
    w.string(ByteView(point));
  }
  return w.take();
}

std::optional<std::string> check_public_blob(ByteView blob) {
  wire::Reader r(blob);
  std::string type;
  if (!r.string(type) || type.empty()) return std::nullopt;
  if (type == "ssh-ed25519") {
    ByteView pub;
    if (!r.string(pub) || pub.size() != 32) return std::nullopt;
  } else if (type == "ssh-rsa") {
    ByteView e;
    ByteView n;
    if (!r.mpint_unsigned(e) || !r.mpint_unsigned(n) || e.empty() || n.empty()) return std::nullopt;
  } else if (!ecdsa_curve_of_key_type(type).empty()) {
    std::string_view curve;
    ByteView point;
    if (!r.string(curve) || curve != ecdsa_curve_of_key_type(type) || !r.string(point)) return std::nullopt;
    const CurveName* c = curve_for_ssh(curve);
    if (c == nullptr || point.size() != c->point_size || point[0] != POINT_CONVERSION_UNCOMPRESSED) {
      return std::nullopt;
    }
  } else {
    return type;  // a type we do not parse (certificates, security keys): opaque
  }
  if (!r.empty()) return std::nullopt;
  return type;
}

}  // namespace ssh::keys
