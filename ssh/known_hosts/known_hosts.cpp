#include "ssh/known_hosts/known_hosts.hpp"

#include <algorithm>

#include "ssh/crypto/base64.hpp"
#include "ssh/crypto/hash.hpp"
#include "ssh/crypto/hmac.hpp"
#include "ssh/crypto/random.hpp"
#include "ssh/known_hosts/host_pattern.hpp"
#include "ssh/wire/reader.hpp"

namespace ssh::known_hosts {
namespace {

constexpr std::string_view kHashMagic = "|1|";
// Hashed names use HMAC-SHA1, whose output (and, in ssh's files, the salt) is 20 bytes.
constexpr std::size_t kSha1Size = 20;

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// Splits off the next whitespace-delimited token.
std::string_view next_token(std::string_view& rest) {
  std::size_t i = 0;
  while (i < rest.size() && is_space(rest[i])) ++i;
  std::size_t j = i;
  while (j < rest.size() && !is_space(rest[j])) ++j;
  std::string_view token = rest.substr(i, j - i);
  rest.remove_prefix(j);
  return token;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string blob_type(ByteView blob) {
  wire::Reader reader(blob);
  std::string type;
  if (!reader.string(type) || type.empty() || reader.empty()) return {};
  for (char c : type) {
    if (c <= ' ' || c >= 127) return {};
  }
  return type;
}

bool parse_hashed(std::string_view field, Entry& out, std::string& error) {
  field.remove_prefix(kHashMagic.size());
  const std::size_t bar = field.find('|');
  if (bar == std::string_view::npos) {
    error = "hashed host name is missing its '|' separator";
    return false;
  }
  auto salt = crypto::base64_decode(field.substr(0, bar));
  auto hash = crypto::base64_decode(field.substr(bar + 1));
  if (!salt || !hash) {
    error = "hashed host name is not valid base64";
    return false;
  }
  if (salt->size() != kSha1Size || hash->size() != kSha1Size) {
    error = "hashed host name has a salt or hash of the wrong length";
    return false;
  }
  out.hashed = true;
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return true;
}

Bytes hash_name(ByteView salt, std::string_view name) {
  const SecretBytes mac = crypto::hmac(crypto::HashAlg::sha1, salt, as_bytes(name));
  return Bytes(mac.begin(), mac.end());
}

}  // namespace

std::string lookup_name(std::string_view host, std::uint16_t port) {
  if (port == 22) return to_lower_ascii(host);
  return "[" + to_lower_ascii(host) + "]:" + std::to_string(port);
}

std::string key_family(std::string_view key_type) {
  if (key_type.starts_with("ecdsa-sha2-")) return "ecdsa";
  if (key_type.starts_with("sk-ecdsa-sha2-")) return "sk-ecdsa";
  return std::string(key_type);
}

bool parse_line(std::string_view text, Entry& out, std::string& error) {
  out = Entry{};
  std::string_view rest = trim(text);
  if (rest.empty() || rest.front() == '#') return true;

  std::string_view field = next_token(rest);
  if (field.front() == '@') {
    if (field == "@revoked") {
      out.marker = Marker::revoked;
    } else if (field == "@cert-authority") {
      out.marker = Marker::cert_authority;
    } else {
      error = "unknown marker '" + std::string(field) + "' (expected @revoked or @cert-authority)";
      return false;
    }
    field = next_token(rest);
    if (field.empty()) {
      error = "marker without host patterns";
      return false;
    }
  }

  if (field.starts_with(kHashMagic)) {
    if (!parse_hashed(field, out, error)) return false;
  } else if (field.front() == '|') {
    error = "unsupported hashed host name format";
    return false;
  } else {
    out.patterns = split_patterns(field, ',');
    if (out.patterns.empty()) {
      error = "empty host pattern list";
      return false;
    }
  }

  const std::string_view type = next_token(rest);
  const std::string_view b64 = next_token(rest);
  if (type.empty() || b64.empty()) {
    error = "expected host patterns, key type and base64 key";
    return false;
  }
  auto blob = crypto::base64_decode(b64);
  if (!blob) {
    error = "key is not valid base64";
    return false;
  }
  const std::string inner = blob_type(*blob);
  if (inner.empty()) {
    error = "malformed key blob";
    return false;
  }
  if (inner != type) {
    error = "key type '" + std::string(type) + "' does not match the key blob's type '" + inner + "'";
    return false;
  }
  out.key_type = inner;
  out.key_blob = std::move(*blob);
  out.comment = std::string(trim(rest));
  return true;
}

bool entry_matches(const Entry& entry, std::string_view name) {
  if (entry.hashed) {
    const Bytes mac = hash_name(entry.salt, name);
    return equal_constant_time(mac, entry.hash);
  }
  return match_pattern_list(entry.patterns, name) == PatternListMatch::match;
}

void KnownHosts::add_source(std::string_view file_name, std::string_view text) {
  std::size_t line_no = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    ++line_no;
    Entry entry;
    std::string error;
    if (!parse_line(text.substr(begin, end - begin), entry, error)) {
      problems_.push_back({std::string(file_name), line_no, std::move(error)});
    } else if (!entry.key_type.empty()) {
      entry.file = std::string(file_name);
      entry.line = line_no;
      entries_.push_back(std::move(entry));
    }
    begin = end + 1;
  }
}

HostKeyCheck KnownHosts::check(std::string_view host, std::uint16_t port, ByteView key_blob) const {
  const std::string name = lookup_name(host, port);
  const std::string family = key_family(blob_type(key_blob));
  const Entry* revoked = nullptr;
  const Entry* matched = nullptr;
  const Entry* changed = nullptr;
  bool ca_seen = false;
  for (const auto& entry : entries_) {
    if (!entry_matches(entry, name)) continue;
    const bool same_key = std::equal(entry.key_blob.begin(), entry.key_blob.end(), key_blob.begin(), key_blob.end());
    switch (entry.marker) {
      case Marker::revoked:
        if (same_key && revoked == nullptr) revoked = &entry;
        break;
      case Marker::cert_authority:
        ca_seen = true;
        break;
      case Marker::none:
        if (same_key) {
          if (matched == nullptr) matched = &entry;
        } else if (changed == nullptr && !family.empty() && key_family(entry.key_type) == family) {
          changed = &entry;
        }
        break;
    }
  }
  // Precedence as ssh: a revoked key is refused even if also listed as good; several keys of one type
  // may be listed for a host, so any matching line wins over a differing one.
  HostKeyCheck result;
  result.cert_authority_seen = ca_seen;
  const Entry* decisive = nullptr;
  if (revoked != nullptr) {
    result.status = HostKeyCheck::revoked;
    decisive = revoked;
  } else if (matched != nullptr) {
    result.status = HostKeyCheck::match;
    decisive = matched;
  } else if (changed != nullptr) {
    result.status = HostKeyCheck::mismatch;
    decisive = changed;
    result.other_key_type = changed->key_type;
  }
  if (decisive != nullptr) {
    result.file = decisive->file;
    result.line = decisive->line;
  }
  return result;
}

std::vector<std::string> KnownHosts::known_key_types(std::string_view host, std::uint16_t port) const {
  const std::string name = lookup_name(host, port);
  std::vector<std::string> types;
  for (const auto& entry : entries_) {
    if (entry.marker != Marker::none || !entry_matches(entry, name)) continue;
    if (std::find(types.begin(), types.end(), entry.key_type) == types.end()) types.push_back(entry.key_type);
  }
  return types;
}

std::string format_line(std::string_view host, std::uint16_t port, ByteView key_blob, bool hashed, ByteView salt) {
  const std::string type = blob_type(key_blob);
  if (type.empty()) return {};
  const std::string name = lookup_name(host, port);
  std::string line;
  if (hashed) {
    Bytes fresh;
    if (salt.empty()) {
      fresh.resize(kSha1Size);
      crypto::random_bytes(fresh);
      salt = fresh;
    }
    line = std::string(kHashMagic) + crypto::base64_encode(salt) + "|" + crypto::base64_encode(hash_name(salt, name));
  } else {
    line = name;
  }
  return line + " " + type + " " + crypto::base64_encode(key_blob);
}

}  // namespace ssh::known_hosts
