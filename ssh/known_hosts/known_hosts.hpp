#pragma once
// known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), sans-IO: the caller reads the files and
// hands their text in; this module parses them and decides whether a server's host key is known.
//
// Line syntax: [@revoked|@cert-authority] hostpatterns keytype base64-key [comment]
//   hostpatterns: comma-separated patterns with '*', '?', '!negation' and "[host]:port" for ports
//   other than 22, or one hashed name "|1|base64(salt)|base64(HMAC-SHA1(salt, name))".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::known_hosts {

enum class Marker { none, revoked, cert_authority };

struct Entry {
  std::string file;
  std::size_t line = 0;
  Marker marker = Marker::none;
  std::vector<std::string> patterns;  // plain entries
  bool hashed = false;
  Bytes salt;  // hashed entries
  Bytes hash;
  std::string key_type;
  Bytes key_blob;
  std::string comment;
};

// A line that was skipped because it could not be parsed.
struct ParseProblem {
  std::string file;
  std::size_t line = 0;
  std::string message;
};

struct HostKeyCheck {
  enum Status { match, mismatch, revoked, not_found } status = not_found;
  // match / revoked: the deciding line; mismatch: the line holding a different key of the same type.
  std::string file;
  std::size_t line = 0;
  std::string other_key_type;  // mismatch: the key type written on that line
  // A @cert-authority line matched this host. We do not support host certificates, so such a host
  // stays not_found; the caller should say "certificates are not supported" rather than "unknown".
  bool cert_authority_seen = false;
};

// The name ssh looks up: "host" for port 22, "[host]:port" otherwise. Lower-cased.
std::string lookup_name(std::string_view host, std::uint16_t port);

// Keys of one algorithm family replace each other (a host's nistp256 key changing to nistp384 is a
// change, as in ssh): "ecdsa-sha2-nistp384" -> "ecdsa", everything else maps to itself.
std::string key_family(std::string_view key_type);

// Parses one line. Returns true with `out` filled for a key line, true with `out.key_type` empty for a
// blank or comment line, false with `error` set for a malformed line.
bool parse_line(std::string_view text, Entry& out, std::string& error);

// True when the entry's host field names `name` (a lookup_name()).
bool entry_matches(const Entry& entry, std::string_view name);

class KnownHosts {
 public:
  // Sources are searched in the order added: UserKnownHostsFile list, then GlobalKnownHostsFile list.
  void add_source(std::string_view file_name, std::string_view text);

  // ssh's rules: a @revoked line whose patterns match the host and whose key is this key wins (write
  // "@revoked * ..." to revoke a key everywhere); then any unmarked line with this key is a match; then
  // an unmarked line for the host with a key of the same family is a mismatch; else not_found.
  HostKeyCheck check(std::string_view host, std::uint16_t port, ByteView key_blob) const;
  // Key types of usable (unmarked) lines for this host, in file order without repeats, so the
  // caller can put those host key algorithms first as ssh does.
  std::vector<std::string> known_key_types(std::string_view host, std::uint16_t port) const;

  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<ParseProblem>& problems() const { return problems_; }

 private:
  std::vector<Entry> entries_;
  std::vector<ParseProblem> problems_;
};

// A line (without newline) recording `key_blob` for host:port, for accept-new. With `hashed`
// (HashKnownHosts yes) the name is hashed with `salt`, or with 20 fresh random bytes when `salt` is
// empty. Returns empty when the blob is malformed.
std::string format_line(std::string_view host, std::uint16_t port, ByteView key_blob, bool hashed, ByteView salt = {});

}  // namespace ssh::known_hosts
