// Bytes from a SOCKS client: the server codec must never crash, hang or buffer without bound, and
// must reach the same decision however the socket splits the stream.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "socks/address.hpp"
#include "socks/messages.hpp"
#include "socks/reply.hpp"
#include "socks/server_codec.hpp"

namespace {

struct Outcome {
  socks::Step::Kind kind = socks::Step::Kind::need_more;
  ssh::Bytes sent;
  socks::ConnectRequest request;
  ssh::Bytes remaining;
};

void check(bool ok) {
  if (!ok) std::abort();
}

Outcome run(const socks::ServerConfig& config, ssh::ByteView input, std::size_t split, bool verdict) {
  socks::ServerCodec codec(config);
  Outcome o;
  const ssh::ByteView parts[2] = {input.first(split), input.subspan(split)};
  for (const auto& part : parts) {
    if (o.kind == socks::Step::Kind::error) break;
    socks::Step s = codec.feed(part);
    while (true) {
      o.sent.insert(o.sent.end(), s.send.begin(), s.send.end());
      if (s.kind != socks::Step::Kind::credentials) break;
      s = codec.answer_credentials(verdict);
    }
    if (s.kind == socks::Step::Kind::connect) {
      check(o.kind == socks::Step::Kind::need_more);
      o.kind = s.kind;
      o.request = s.request;
    } else if (s.kind == socks::Step::Kind::error) {
      o.kind = s.kind;
    }
  }
  o.remaining = codec.take_remaining();
  // Nothing beyond the handshake replies (each well under 1 KiB) is ever produced.
  check(o.sent.size() <= 64);
  return o;
}

void check_request(const socks::ConnectRequest& r) {
  (void)socks::host_string(r.destination);
  if (const auto* name = std::get_if<socks::DomainName>(&r.destination)) {
    check(!name->name.empty() && name->name.size() <= 255);
    check(name->name.find('\0') == std::string::npos);
  }
  const ssh::Bytes ok = socks::encode_success(r);
  check(ok.size() == (r.version == socks::Version::socks5 ? 10u : 8u));
  const ssh::Bytes no = socks::encode_failure(r, socks::ReplyCode::succeeded);
  check(no[1] != 0x00 && no[1] != 0x5A);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const ssh::ByteView input(data + 2, size - 2);
  const std::size_t split = input.empty() ? 0 : data[1] % (input.size() + 1);

  socks::ServerConfig config;
  config.auth = (mode & 1) != 0 ? socks::AuthMode::username_password : socks::AuthMode::none;
  config.allow_socks4 = (mode & 2) == 0;
  if ((mode & 4) != 0) {
    config.socks4_limits = {16, 16};
    config.max_handshake_bytes = 64;
    config.max_early_data_bytes = 32;
  }
  const bool verdict = (mode & 8) == 0;

  // Stateless parsers straight on the bytes.
  (void)socks::parse_method_offer(input);
  (void)socks::parse_username_password(input);
  if (auto r = socks::parse_socks5_request(input); r.status == socks::ParseStatus::complete) {
    check(r.consumed <= input.size());
    check_request(r.value);
  }
  if (auto r = socks::parse_socks4_request(input, config.socks4_limits); r.status == socks::ParseStatus::complete) {
    check(r.consumed <= input.size());
    check_request(r.value);
  }

  // The whole stream in one read and split in two must agree on everything the client sees.
  const Outcome whole = run(config, input, input.size(), verdict);
  const Outcome halves = run(config, input, split, verdict);
  if (whole.kind == socks::Step::Kind::connect) check_request(whole.request);
  if (whole.kind != socks::Step::Kind::error && halves.kind != socks::Step::Kind::error) {
    check(whole.kind == halves.kind);
    check(whole.sent == halves.sent);
    check(whole.request == halves.request);
    check(whole.remaining == halves.remaining);
  }
  // Early-data and buffering bounds may trip for one split and not the other, but a protocol error
  // reply never depends on the split.
  if (whole.kind == socks::Step::Kind::error && halves.kind == socks::Step::Kind::error && (mode & 4) == 0) {
    check(whole.sent == halves.sent);
  }
  return 0;
}
