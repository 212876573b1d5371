#include "ssh/transport/version_exchange.hpp"

#include <string_view>

namespace ssh::transport {

std::string identification_line(const std::string& version) {
  return version + "\r\n";
}

VersionExchange::Status VersionExchange::feed(ByteView data, std::size_t& consumed) {
  consumed = 0;
  while (status_ == Status::need_more && consumed < data.size()) {
    const char c = static_cast<char>(data[consumed++]);
    if (c == '\n') {
      status_ = finish_line();
      continue;
    }
    // A CR is only allowed right before the LF; keep it for now and strip it in finish_line().
    if (line_.size() > kMaxLineLength) {
      error_ = "server identification line is longer than 255 bytes";
      status_ = Status::failed;
      break;
    }
    line_.push_back(c);
  }
  return status_;
}

VersionExchange::Status VersionExchange::finish_line() {
  std::string line = std::move(line_);
  line_.clear();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() > kMaxLineLength) {
    error_ = "server identification line is longer than 255 bytes";
    return Status::failed;
  }
  if (line.rfind("SSH-", 0) != 0) {
    if (banner_lines_.size() >= kMaxBannerLines) {
      error_ = "server sent too many lines before its SSH identification";
      return Status::failed;
    }
    banner_lines_.push_back(std::move(line));
    return Status::need_more;
  }
  if (line.find('\0') != std::string::npos) {
    error_ = "server identification contains a NUL byte";
    return Status::failed;
  }
  // "SSH-1.99-" announces a server that also speaks 2.0 (RFC 4253 §5.1).
  const std::string_view v(line);
  if (v.rfind("SSH-2.0-", 0) != 0 && v.rfind("SSH-1.99-", 0) != 0) {
    error_ = "unsupported protocol version in server identification '" + line + "'";
    unsupported_ = true;
    return Status::failed;
  }
  version_ = std::move(line);
  return Status::done;
}

}  // namespace ssh::transport
