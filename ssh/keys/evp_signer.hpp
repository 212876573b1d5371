#pragma once
// A Signer over an OpenSSL key held in memory: produces SSH signature blobs for user
// authentication (RFC 4252 §7) with ssh-ed25519 (RFC 8709 §6), ecdsa-sha2-* (RFC 5656 §3.1.2)
// and RSA (rsa-sha2-256/512 per RFC 8332, and the legacy ssh-rsa with SHA-1).
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "ssh/keys/signer.hpp"

namespace ssh::keys {

// Takes ownership of `pkey` (it is freed even when this fails). Returns nullptr when the key is
// not of a type SSH signs with. A key without its private part yields a Signer whose sign() fails.
std::unique_ptr<Signer> make_evp_signer(EVP_PKEY* pkey, std::string comment);

}  // namespace ssh::keys
