#include "socks/server_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace socks;
using ssh::Bytes;
using Kind = Step::Kind;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

const Bytes socks5_zero_reply_tail{0, 1, 0, 0, 0, 0, 0, 0};  // RSV ATYP=1 0.0.0.0 port 0
Bytes socks5_reply(std::uint8_t code) { return cat({{5, code}, socks5_zero_reply_tail}); }
const Bytes socks4_rejected_reply{0, 0x5B, 0, 0, 0, 0, 0, 0};

struct Outcome {
  Kind kind = Kind::need_more;
  int connects = 0;
  Bytes sent;
  ConnectRequest request;
  ErrorCode error = ErrorCode::misuse;
  std::vector<std::string> users;
  std::vector<std::string> passwords;
  Bytes remaining;
};

// Feeds `input` in chunks of `chunk` bytes as a socket might deliver it, answering credentials with
// `verdict`, and collects everything the codec asked to send.
Outcome drive(const ServerConfig& config, const Bytes& input, std::size_t chunk, bool verdict = true) {
  ServerCodec codec(config);
  Outcome o;
  for (std::size_t pos = 0; pos < input.size() && o.kind != Kind::error; pos += chunk) {
    const std::size_t n = std::min(chunk, input.size() - pos);
    Step s = codec.feed(ssh::ByteView(input).subspan(pos, n));
    while (true) {
      o.sent.insert(o.sent.end(), s.send.begin(), s.send.end());
      if (s.kind != Kind::credentials) break;
      o.users.push_back(s.credentials.username);
      o.passwords.emplace_back(s.credentials.password.begin(), s.credentials.password.end());
      s = codec.answer_credentials(verdict);
    }
    if (s.kind == Kind::connect) {
      ++o.connects;
      o.request = s.request;
      o.kind = Kind::connect;
    } else if (s.kind == Kind::error) {
      o.kind = Kind::error;
      o.error = s.error;
    }
  }
  o.remaining = codec.take_remaining();
  return o;
}

void expect_same(const Outcome& a, const Outcome& b, std::size_t chunk) {
  EXPECT_EQ(a.kind, b.kind) << "chunk " << chunk;
  EXPECT_EQ(a.connects, b.connects) << "chunk " << chunk;
  EXPECT_EQ(a.sent, b.sent) << "chunk " << chunk;
  EXPECT_EQ(a.request, b.request) << "chunk " << chunk;
  EXPECT_EQ(a.error, b.error) << "chunk " << chunk;
  EXPECT_EQ(a.users, b.users) << "chunk " << chunk;
  EXPECT_EQ(a.passwords, b.passwords) << "chunk " << chunk;
  EXPECT_EQ(a.remaining, b.remaining) << "chunk " << chunk;
}

// Whole, byte at a time and a few uneven splits must all agree; returns the whole-input outcome.
Outcome drive_all_splits(const ServerConfig& config, const Bytes& input, bool verdict = true) {
  const Outcome whole = drive(config, input, input.size() == 0 ? 1 : input.size(), verdict);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5}, std::size_t{7}}) expect_same(whole, drive(config, input, chunk, verdict), chunk);
  return whole;
}

const ServerConfig no_auth{};
ServerConfig auth_required() {
  ServerConfig c;
  c.auth = AuthMode::username_password;
  return c;
}

// curl --socks5-hostname example.com:443 (RFC 1928 §3 then §4, ATYP 3).
const Bytes curl_greeting{5, 1, 0};
const Bytes curl_hostname_request = cat({{5, 1, 0, 3, 11}, text("example.com"), {0x01, 0xbb}});
const Bytes http_get = text("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");

TEST(SocksServerCodec, CurlSocks5HostnameExactBytes) {
  const Outcome o = drive_all_splits(no_auth, cat({curl_greeting, curl_hostname_request}));
  ASSERT_EQ(o.kind, Kind::connect);
  EXPECT_EQ(o.connects, 1);
  EXPECT_EQ(o.sent, (Bytes{5, 0}));
  EXPECT_EQ(o.request, (ConnectRequest{Version::socks5, DomainName{"example.com"}, 443, {}}));
  EXPECT_TRUE(o.remaining.empty());
  EXPECT_EQ(encode_success(o.request), socks5_reply(0));
}

TEST(SocksServerCodec, GreetingAloneAnswersMethodSelection) {
  ServerCodec codec;
  Step s = codec.feed(curl_greeting);
  EXPECT_EQ(s.kind, Kind::need_more);
  EXPECT_EQ(s.send, (Bytes{5, 0}));
  s = codec.feed(curl_hostname_request);
  EXPECT_EQ(s.kind, Kind::connect);
  EXPECT_TRUE(s.send.empty());
  EXPECT_TRUE(codec.finished());
}

TEST(SocksServerCodec, Socks5Ipv4AndIpv6) {
  const Outcome v4 = drive_all_splits(no_auth, cat({curl_greeting, {5, 1, 0, 1, 93, 184, 216, 34, 0, 80}}));
  ASSERT_EQ(v4.kind, Kind::connect);
  EXPECT_EQ(v4.request, (ConnectRequest{Version::socks5, Ipv4Address{{93, 184, 216, 34}}, 80, {}}));

  Ipv6Address addr;
  addr.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Bytes req{5, 1, 0, 4};
  req.insert(req.end(), addr.bytes.begin(), addr.bytes.end());
  req.push_back(0x00);
  req.push_back(0x16);
  const Outcome v6 = drive_all_splits(no_auth, cat({{5, 2, 2, 0}, req}));
  ASSERT_EQ(v6.kind, Kind::connect);
  EXPECT_EQ(v6.sent, (Bytes{5, 0}));
  EXPECT_EQ(v6.request, (ConnectRequest{Version::socks5, addr, 22, {}}));
  EXPECT_EQ(host_string(v6.request.destination), "2001:db8::1");
}

TEST(SocksServerCodec, PipelinedDataAfterRequestIsKept) {
  const Outcome o = drive_all_splits(no_auth, cat({curl_greeting, curl_hostname_request, http_get}));
  ASSERT_EQ(o.kind, Kind::connect);
  EXPECT_EQ(o.connects, 1);
  EXPECT_EQ(o.remaining, http_get);

  // Data that arrives in later calls is appended; take_remaining empties the store.
  ServerCodec codec;
  EXPECT_EQ(codec.feed(cat({curl_greeting, curl_hostname_request, text("ab")})).kind, Kind::connect);
  EXPECT_EQ(codec.feed(text("cd")).kind, Kind::need_more);
  EXPECT_EQ(codec.take_remaining(), text("abcd"));
  EXPECT_TRUE(codec.take_remaining().empty());
  EXPECT_EQ(codec.feed(text("e")).kind, Kind::need_more);
  EXPECT_EQ(codec.take_remaining(), text("e"));
}

TEST(SocksServerCodec, EarlyDataAfterRequestIsBounded) {
  ServerConfig config;
  config.max_early_data_bytes = 8;
  ServerCodec codec(config);
  // Whatever came with the request is kept even beyond the bound: it is already in memory.
  EXPECT_EQ(codec.feed(cat({curl_greeting, curl_hostname_request, text("0123456789")})).kind, Kind::connect);
  EXPECT_EQ(codec.take_remaining().size(), 10u);
  EXPECT_EQ(codec.feed(text("01234567")).kind, Kind::need_more);
  const Step s = codec.feed(text("8"));
  EXPECT_EQ(s.kind, Kind::error);
  EXPECT_EQ(s.error, ErrorCode::too_much_buffered);
  EXPECT_TRUE(s.send.empty());
  EXPECT_TRUE(codec.take_remaining().empty());
}

TEST(SocksServerCodec, UsernamePasswordAccepted) {
  const Bytes input = cat({{5, 2, 0, 2}, {1, 5}, text("alice"), {6}, text("s3cret"), curl_hostname_request, http_get});
  const Outcome o = drive_all_splits(auth_required(), input, true);
  ASSERT_EQ(o.kind, Kind::connect);
  EXPECT_EQ(o.sent, (Bytes{5, 2, 1, 0}));
  EXPECT_EQ(o.users, std::vector<std::string>{"alice"});
  EXPECT_EQ(o.passwords, std::vector<std::string>{"s3cret"});
  EXPECT_EQ(o.request.destination, Address(DomainName{"example.com"}));
  EXPECT_EQ(o.remaining, http_get);
}

TEST(SocksServerCodec, UsernamePasswordRejected) {
  const Bytes input = cat({{5, 1, 2}, {1, 1, 'u', 1, 'p'}, curl_hostname_request});
  const Outcome o = drive_all_splits(auth_required(), input, false);
  ASSERT_EQ(o.kind, Kind::error);
  EXPECT_EQ(o.error, ErrorCode::auth_rejected);
  EXPECT_EQ(o.sent, (Bytes{5, 2, 1, 1}));
  EXPECT_EQ(o.connects, 0);
  EXPECT_TRUE(o.remaining.empty());
}

TEST(SocksServerCodec, RequestSentWhileCredentialsAreCheckedWaits) {
  ServerCodec codec(auth_required());
  Step s = codec.feed(Bytes{5, 1, 2, 1, 1, 'u', 1, 'p'});
  ASSERT_EQ(s.kind, Kind::credentials);
  EXPECT_EQ(s.send, (Bytes{5, 2}));
  s = codec.feed(cat({curl_hostname_request, text("x")}));
  EXPECT_EQ(s.kind, Kind::need_more);
  EXPECT_TRUE(s.send.empty());
  s = codec.answer_credentials(true);
  ASSERT_EQ(s.kind, Kind::connect);
  EXPECT_EQ(s.send, (Bytes{1, 0}));
  EXPECT_EQ(codec.take_remaining(), text("x"));
}

TEST(SocksServerCodec, FloodWhileCredentialsAreCheckedIsBounded) {
  ServerCodec codec(auth_required());
  ASSERT_EQ(codec.feed(Bytes{5, 1, 2, 1, 1, 'u', 1, 'p'}).kind, Kind::credentials);
  EXPECT_EQ(codec.feed(Bytes(4096, 'x')).kind, Kind::need_more);
  const Step s = codec.feed(Bytes{'y'});
  EXPECT_EQ(s.kind, Kind::error);
  EXPECT_EQ(s.error, ErrorCode::too_much_buffered);
  EXPECT_EQ(s.send, (Bytes{1, 1}));
  EXPECT_EQ(codec.answer_credentials(true).kind, Kind::error);
}

TEST(SocksServerCodec, NoAcceptableMethod) {
  // Authentication required, client offers only "no authentication".
  Outcome o = drive_all_splits(auth_required(), cat({curl_greeting, curl_hostname_request}));
  EXPECT_EQ(o.kind, Kind::error);
  EXPECT_EQ(o.error, ErrorCode::no_acceptable_methods);
  EXPECT_EQ(o.sent, (Bytes{5, 0xFF}));
  // No authentication configured, client offers only username/password and GSSAPI.
  o = drive_all_splits(no_auth, Bytes{5, 2, 1, 2});
  EXPECT_EQ(o.error, ErrorCode::no_acceptable_methods);
  EXPECT_EQ(o.sent, (Bytes{5, 0xFF}));
  // An empty offer.
  o = drive_all_splits(no_auth, Bytes{5, 0, 5, 1, 0});
  EXPECT_EQ(o.error, ErrorCode::no_acceptable_methods);
  EXPECT_EQ(o.sent, (Bytes{5, 0xFF}));
}

TEST(SocksServerCodec, BindAndUdpAssociateAreNotSupported) {
  for (int cmd_value : {2, 3, 0, 9}) {
    const auto cmd = static_cast<std::uint8_t>(cmd_value);
    const Outcome o = drive_all_splits(no_auth, cat({curl_greeting, {5, cmd, 0, 1, 1, 2, 3, 4, 0, 80}}));
    EXPECT_EQ(o.kind, Kind::error);
    EXPECT_EQ(o.error, ErrorCode::command_not_supported);
    EXPECT_EQ(o.sent, cat({{5, 0}, socks5_reply(7)})) << int{cmd};
  }
}

TEST(SocksServerCodec, MalformedSocks5Requests) {
  struct Case {
    Bytes request;
    ErrorCode error;
    std::uint8_t reply;
  };
  const std::vector<Case> cases{
      {{5, 1, 0, 2, 1, 2, 3, 4, 0, 80}, ErrorCode::address_type_not_supported, 8},
      {{5, 1, 0, 9}, ErrorCode::address_type_not_supported, 8},
      {{5, 1, 0, 3, 0, 0, 80}, ErrorCode::malformed_address, 1},
      {{5, 1, 0, 3, 2, 'a', 0, 0, 80}, ErrorCode::malformed_address, 1},
      {{4, 1, 0, 1, 1, 2, 3, 4, 0, 80}, ErrorCode::bad_request_version, 1},
  };
  for (const auto& c : cases) {
    const Outcome o = drive_all_splits(no_auth, cat({curl_greeting, c.request}));
    EXPECT_EQ(o.kind, Kind::error);
    EXPECT_EQ(o.error, c.error);
    EXPECT_EQ(o.sent, cat({{5, 0}, socks5_reply(c.reply)}));
  }
}

TEST(SocksServerCodec, BadAuthSubnegotiationVersion) {
  const Outcome o = drive_all_splits(auth_required(), Bytes{5, 1, 2, 5, 1, 'u', 1, 'p'});
  EXPECT_EQ(o.error, ErrorCode::bad_auth_version);
  EXPECT_EQ(o.sent, (Bytes{5, 2, 1, 1}));
}

TEST(SocksServerCodec, NotSocksAtAll) {
  for (const Bytes& input : {text("CONNECT example.com:443 HTTP/1.1\r\n"), Bytes{0}, Bytes{6, 1, 0}}) {
    const Outcome o = drive_all_splits(no_auth, input);
    EXPECT_EQ(o.kind, Kind::error);
    EXPECT_EQ(o.error, ErrorCode::unsupported_version);
    EXPECT_TRUE(o.sent.empty());
  }
}

TEST(SocksServerCodec, TruncatedInputWaits) {
  const Bytes full = cat({{5, 2, 0, 2}, {1, 1, 'u', 1, 'p'}, curl_hostname_request});
  for (std::size_t n = 0; n < full.size(); ++n) {
    const Outcome o = drive(auth_required(), Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)), 1);
    EXPECT_NE(o.kind, Kind::error) << n;
    EXPECT_EQ(o.connects, 0) << n;
  }
  const Bytes four{4, 1, 0, 80, 1, 2, 3, 4, 'u', 0};
  for (std::size_t n = 0; n < four.size(); ++n) {
    EXPECT_EQ(drive(no_auth, Bytes(four.begin(), four.begin() + static_cast<std::ptrdiff_t>(n)), 1).kind,
              Kind::need_more);
  }
}

TEST(SocksServerCodec, Socks4) {
  const Bytes req{4, 1, 0x01, 0xbb, 93, 184, 216, 34, 'b', 'o', 'b', 0};
  const Outcome o = drive_all_splits(no_auth, cat({req, http_get}));
  ASSERT_EQ(o.kind, Kind::connect);
  EXPECT_TRUE(o.sent.empty());
  EXPECT_EQ(o.request, (ConnectRequest{Version::socks4, Ipv4Address{{93, 184, 216, 34}}, 443, "bob"}));
  EXPECT_EQ(o.remaining, http_get);
  EXPECT_EQ(encode_success(o.request), (Bytes{0, 0x5A, 0, 0, 0, 0, 0, 0}));
}

TEST(SocksServerCodec, Socks4a) {
  // curl --socks4a: DSTIP 0.0.0.1, empty USERID, then the host name.
  const Bytes req = cat({{4, 1, 0, 80, 0, 0, 0, 1, 0}, text("example.com"), {0}});
  const Outcome o = drive_all_splits(no_auth, cat({req, text("z")}));
  ASSERT_EQ(o.kind, Kind::connect);
  EXPECT_EQ(o.request, (ConnectRequest{Version::socks4a, DomainName{"example.com"}, 80, ""}));
  EXPECT_EQ(o.remaining, text("z"));
}

TEST(SocksServerCodec, Socks4Errors) {
  Outcome o = drive_all_splits(no_auth, Bytes{4, 2, 0, 80, 1, 2, 3, 4, 0});
  EXPECT_EQ(o.error, ErrorCode::command_not_supported);
  EXPECT_EQ(o.sent, socks4_rejected_reply);

  o = drive_all_splits(no_auth, Bytes{4, 1, 0, 80, 0, 0, 0, 1, 0, 0});
  EXPECT_EQ(o.error, ErrorCode::malformed_address);
  EXPECT_EQ(o.sent, socks4_rejected_reply);

  Bytes long_user{4, 1, 0, 80, 1, 2, 3, 4};
  long_user.insert(long_user.end(), 300, 'u');
  o = drive_all_splits(no_auth, long_user);
  EXPECT_EQ(o.error, ErrorCode::field_too_long);
  EXPECT_EQ(o.sent, socks4_rejected_reply);

  Bytes long_host{4, 1, 0, 80, 0, 0, 0, 1, 0};
  long_host.insert(long_host.end(), 256, 'h');
  o = drive_all_splits(no_auth, long_host);
  EXPECT_EQ(o.error, ErrorCode::field_too_long);
  EXPECT_EQ(o.sent, socks4_rejected_reply);
}

TEST(SocksServerCodec, Socks4RefusedWhenAuthRequiredOrDisabled) {
  const Bytes req{4, 1, 0, 80, 1, 2, 3, 4, 0};
  Outcome o = drive_all_splits(auth_required(), req);
  EXPECT_EQ(o.error, ErrorCode::socks4_not_allowed);
  EXPECT_EQ(o.sent, socks4_rejected_reply);
  ServerConfig no4;
  no4.allow_socks4 = false;
  o = drive_all_splits(no4, req);
  EXPECT_EQ(o.error, ErrorCode::socks4_not_allowed);
  EXPECT_EQ(o.sent, socks4_rejected_reply);
}

TEST(SocksServerCodec, MisuseAndAfterError) {
  ServerCodec codec;
  Step s = codec.answer_credentials(true);
  EXPECT_EQ(s.kind, Kind::error);
  EXPECT_EQ(s.error, ErrorCode::misuse);
  EXPECT_TRUE(codec.failed());

  ServerCodec bad;
  s = bad.feed(Bytes{5, 1, 0, 5, 2});
  EXPECT_EQ(s.kind, Kind::error);
  s = bad.feed(curl_hostname_request);
  EXPECT_EQ(s.kind, Kind::error);
  EXPECT_EQ(s.error, ErrorCode::command_not_supported);
  EXPECT_TRUE(s.send.empty());
  EXPECT_TRUE(bad.take_remaining().empty());
}

TEST(SocksServerCodec, ErrorTextsNameTheProblem) {
  EXPECT_NE(std::string(to_string(ErrorCode::socks4_not_allowed)).find("SOCKS5"), std::string::npos);
  EXPECT_NE(std::string(to_string(ErrorCode::command_not_supported)).find("CONNECT"), std::string::npos);
}

}  // namespace
