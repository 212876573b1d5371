#pragma once
// Internals shared by the key file parsers in ssh/keys (not part of the module's interface).
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ssh/keys/private_key.hpp"
#include "ssh/wire/bytes.hpp"
#include "ssh/wire/reader.hpp"

namespace ssh::keys::detail {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// Base64 (RFC 4648 §4). `skip_whitespace` lets armored files keep their line breaks; otherwise any
// character outside the alphabet fails. Padding is optional but, when present, must be correct.
// Returned as SecretBytes because armored private keys decode to key material.
std::optional<SecretBytes> decode_base64(std::string_view text, bool skip_whitespace);

// Result of building an EVP_PKEY from key parts.
struct PkeyResult {
  PkeyPtr pkey;
  LoadStatus status = LoadStatus::malformed;
  std::string message;
};

// Builds the key from the private fields of an openssh-key-v1 private section (PROTOCOL.key),
// reading from `fields` just after the key type string. Leaves the reader after the key's fields.
PkeyResult openssh_private_fields_to_pkey(std::string_view key_type, wire::Reader& fields);

LoadResult load_openssh_key_v1(ByteView file, std::string_view passphrase);
bool openssh_key_v1_is_encrypted(ByteView file);
bool looks_like_openssh_key_v1(ByteView file);

LoadResult load_pem_key(ByteView file, std::string_view passphrase);
bool pem_key_is_encrypted(ByteView file);

// `text` with anything but printable ASCII replaced by '?', capped, for error messages quoting a file.
std::string printable(std::string_view text);

LoadResult failure(LoadStatus status, std::string message);

}  // namespace ssh::keys::detail
