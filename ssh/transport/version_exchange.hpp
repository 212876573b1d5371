#pragma once
// The protocol version exchange (RFC 4253 §4.2): the server may send other lines before its
// identification string; the identification string is "SSH-protoversion-softwareversion" and
// ends in CR LF (a bare LF is tolerated, as many implementations do).
#include <cstddef>
#include <string>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::transport {

class VersionExchange {
 public:
  // Bounds on what a peer can make us buffer before its identification string.
  static constexpr std::size_t kMaxLineLength = 255;  // without CR LF (RFC 4253 §4.2)
  static constexpr std::size_t kMaxBannerLines = 1024;

  enum class Status { need_more, done, failed };

  // Consumes bytes up to and including the identification line; `consumed` says how many of
  // `data` were used (the rest is the start of the binary packet stream).
  Status feed(ByteView data, std::size_t& consumed);

  Status status() const { return status_; }
  const std::string& version() const { return version_; }  // without CR LF: V_S for the hash
  const std::vector<std::string>& banner_lines() const { return banner_lines_; }
  const std::string& error() const { return error_; }
  bool version_unsupported() const { return unsupported_; }

 private:
  Status finish_line();

  Status status_ = Status::need_more;
  std::string line_;
  std::string version_;
  std::vector<std::string> banner_lines_;
  std::string error_;
  bool unsupported_ = false;
};

// Our identification line as sent: the configured version followed by CR LF.
std::string identification_line(const std::string& version);

}  // namespace ssh::transport
