#include "ssh/keys/public_key.hpp"

#include "ssh/keys/key_blob.hpp"
#include "ssh/keys/key_internal.hpp"

namespace ssh::keys {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Splits off the next blank-separated field.
std::string_view next_field(std::string_view& s) {
  std::size_t end = 0;
  while (end < s.size() && !is_blank(s[end])) ++end;
  const std::string_view field = s.substr(0, end);
  s.remove_prefix(end);
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return field;
}

}  // namespace

std::optional<PublicKey> parse_public_key_line(std::string_view line) {
  std::string_view rest = trim(line);
  const std::string_view type = next_field(rest);
  const std::string_view encoded = next_field(rest);
  if (type.empty() || encoded.empty()) return std::nullopt;
  for (char c : type) {
    if (c <= ' ' || c >= 127) return std::nullopt;
  }
  std::optional<SecretBytes> blob = detail::decode_base64(encoded, false);
  if (!blob) return std::nullopt;
  const std::optional<std::string> blob_type = check_public_blob(*blob);
  if (!blob_type || *blob_type != type) return std::nullopt;
  PublicKey key;
  key.type = std::string(type);
  key.blob.assign(blob->begin(), blob->end());
  key.comment = std::string(rest);
  return key;
}

}  // namespace ssh::keys
