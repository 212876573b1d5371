// Public key blobs and host-key signatures as a peer sends them (K_S and the signature of
// KEXDH_REPLY, RFC 4253 §8). The whole input is tried as a key blob; it is also read as
// string algorithm | string key_blob | string signature_blob | signed data for verify_signature.
#include <cstdint>
#include <cstdlib>

#include "ssh/crypto/host_key.hpp"
#include "ssh/crypto/ssh_public_key.hpp"
#include "ssh/crypto/ssh_signature.hpp"
#include "ssh/wire/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssh;
  const ByteView input(data, size);

  const std::string type = crypto::key_blob_type(input);
  (void)crypto::sha256_fingerprint(input);
  if (auto key = crypto::public_key_from_blob(input)) {
    // Anything we accept must re-encode to a blob we accept again, of the same type.
    auto blob = crypto::public_key_to_blob(key->pkey.get());
    if (!blob || type != crypto::ssh_key_type_name(key->type)) std::abort();
    auto again = crypto::public_key_from_blob(*blob);
    if (!again || again->type != key->type || *crypto::public_key_to_blob(again->pkey.get()) != *blob) std::abort();
  }
  (void)crypto::ecdsa_signature_ssh_to_der(input, 66);
  (void)crypto::ecdsa_signature_der_to_ssh(input);

  wire::Reader reader(input);
  std::string_view algorithm;
  ByteView key_blob;
  ByteView signature;
  if (reader.string(algorithm) && reader.string(key_blob) && reader.string(signature)) {
    (void)crypto::algorithm_matches_key_type(algorithm, crypto::key_blob_type(key_blob));
    (void)crypto::verify_signature(algorithm, key_blob, signature, reader.rest());
  }
  return 0;
}
