#include "ssh/keys/evp_signer.hpp"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "ssh/keys/agent_key_encoding.hpp"
#include "ssh/keys/key_blob.hpp"
#include "ssh/keys/key_internal.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::keys {
namespace {

using detail::PkeyPtr;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};

// The digest each signature algorithm hashes with; nullptr for ed25519, which signs the message
// itself (RFC 8709 §6 via RFC 8032 PureEdDSA).
const EVP_MD* digest_for(std::string_view algorithm) {
  if (algorithm == "ssh-ed25519") return nullptr;
  if (algorithm == "rsa-sha2-512") return EVP_sha512();
  if (algorithm == "rsa-sha2-256") return EVP_sha256();
  if (algorithm == "ssh-rsa") return EVP_sha1();
  // RFC 5656 §6.2.1: the hash follows the curve size.
  if (algorithm == "ecdsa-sha2-nistp256") return EVP_sha256();
  if (algorithm == "ecdsa-sha2-nistp384") return EVP_sha384();
  if (algorithm == "ecdsa-sha2-nistp521") return EVP_sha512();
  return nullptr;
}

void put_bn(wire::Writer& w, const BIGNUM* bn) {
  Bytes magnitude(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, magnitude.data());
  w.mpint_unsigned(magnitude);
}

// OpenSSL returns ECDSA signatures as DER ECDSA-Sig-Value; SSH wants string(mpint r | mpint s)
// (RFC 5656 §3.1.2).
std::optional<Bytes> ecdsa_der_to_ssh(ByteView der) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  wire::Writer w;
  put_bn(w, r);
  put_bn(w, s);
  ECDSA_SIG_free(sig);
  return w.take();
}

class EvpSigner final : public Signer {
 public:
  EvpSigner(PkeyPtr pkey, std::string type, Bytes blob, std::string comment)
      : pkey_(std::move(pkey)), type_(std::move(type)), blob_(std::move(blob)), comment_(std::move(comment)) {}

  std::string key_type() const override { return type_; }
  Bytes public_blob() const override { return blob_; }
  std::string comment() const override { return comment_; }
  std::optional<SecretBytes> agent_private_key() const override { return encode_agent_private_key(pkey_.get()); }

  std::vector<std::string> signature_algorithms() const override {
    if (type_ == "ssh-rsa") return {"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"};
    return {type_};
  }

  std::optional<Bytes> sign(std::string_view algorithm, ByteView data) const override {
    bool allowed = false;
    for (const auto& a : signature_algorithms()) allowed = allowed || a == algorithm;
    if (!allowed) return std::nullopt;

    std::optional<Bytes> raw = raw_signature(digest_for(algorithm), data);
    ERR_clear_error();
    if (!raw) return std::nullopt;
    if (type_.starts_with("ecdsa-sha2-")) {
      raw = ecdsa_der_to_ssh(*raw);
      if (!raw) return std::nullopt;
    }
    wire::Writer w;
    w.string(algorithm);
    w.string(ByteView(*raw));
    return w.take();
  }

 private:
  std::optional<Bytes> raw_signature(const EVP_MD* md, ByteView data) const {
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    if (!ctx) return std::nullopt;
    EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
    if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, pkey_.get()) != 1) return std::nullopt;
    if (type_ == "ssh-rsa" && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return std::nullopt;
    std::size_t len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) return std::nullopt;
    Bytes sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1) return std::nullopt;
    sig.resize(len);
    return sig;
  }

  PkeyPtr pkey_;
  std::string type_;
  Bytes blob_;
  std::string comment_;
};

}  // namespace

std::unique_ptr<Signer> make_evp_signer(EVP_PKEY* pkey, std::string comment) {
  PkeyPtr owned(pkey);
  const std::string type = ssh_key_type(owned.get());
  if (type.empty()) return nullptr;
  std::optional<Bytes> blob = encode_public_blob(owned.get());
  if (!blob) {
    ERR_clear_error();
    return nullptr;
  }
  return std::make_unique<EvpSigner>(std::move(owned), type, std::move(*blob), std::move(comment));
}

}  // namespace ssh::keys
