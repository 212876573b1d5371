#include "ssh/keys/private_key.hpp"

#include "ssh/keys/key_internal.hpp"

namespace ssh::keys {
namespace {

bool looks_like_pem(ByteView file) {
  return as_string(file).find("-----BEGIN ") != std::string_view::npos;
}

}  // namespace

LoadResult load_private_key(ByteView file_contents, std::string_view passphrase) {
  if (detail::looks_like_openssh_key_v1(file_contents)) return detail::load_openssh_key_v1(file_contents, passphrase);
  if (looks_like_pem(file_contents)) return detail::load_pem_key(file_contents, passphrase);
  return detail::failure(LoadStatus::malformed, "not a private key file (no PEM or OpenSSH armor)");
}

bool private_key_is_encrypted(ByteView file_contents) {
  if (detail::looks_like_openssh_key_v1(file_contents)) return detail::openssh_key_v1_is_encrypted(file_contents);
  if (looks_like_pem(file_contents)) return detail::pem_key_is_encrypted(file_contents);
  return false;
}

}  // namespace ssh::keys
