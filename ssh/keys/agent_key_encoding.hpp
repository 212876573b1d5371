#pragma once
// A private key in the encoding ssh-agent takes in SSH2_AGENTC_ADD_IDENTITY and
// SSH2_AGENTC_ADD_ID_CONSTRAINED (draft-miller-ssh-agent §4.2; the same fields as OpenSSH's
// PROTOCOL.key private section): the key type string followed by the type's fields.
//   ssh-ed25519:          string type, string ENC(A) (32), string k || ENC(A) (64)
//   ecdsa-sha2-nistpNNN:  string type, string curve ("nistpNNN"), string Q (uncompressed), mpint d
//   ssh-rsa:              string type, mpint n, mpint e, mpint d, mpint iqmp, mpint p, mpint q
#include <openssl/evp.h>

#include <optional>

#include "ssh/wire/bytes.hpp"

namespace ssh::keys {

// nullopt when the key is of a type SSH has no name for or its private part is not available.
std::optional<SecretBytes> encode_agent_private_key(const EVP_PKEY* pkey);

}  // namespace ssh::keys
