#include "socks/messages.hpp"

#include <gtest/gtest.h>

namespace {

using namespace socks;
using ssh::Bytes;

ssh::ByteView view(const Bytes& b) { return ssh::ByteView(b); }

// Every strict prefix of a complete message needs more; the whole message completes using all of it.
template <typename Parse>
void expect_prefixes_need_more(const Bytes& msg, Parse parse) {
  for (std::size_t n = 0; n < msg.size(); ++n) {
    EXPECT_EQ(parse(view(msg).first(n)).status, ParseStatus::need_more) << "prefix " << n;
  }
  auto whole = parse(view(msg));
  EXPECT_EQ(whole.status, ParseStatus::complete);
  EXPECT_EQ(whole.consumed, msg.size());
  Bytes longer = msg;
  longer.push_back(0xAA);
  EXPECT_EQ(parse(view(longer)).consumed, msg.size());
}

TEST(SocksMessages, MethodOffer) {
  const Bytes msg{5, 2, 0, 2};
  expect_prefixes_need_more(msg, parse_method_offer);
  EXPECT_EQ(parse_method_offer(view(msg)).value.methods, (Bytes{0, 2}));
  auto empty = parse_method_offer(view(Bytes{5, 0}));
  EXPECT_EQ(empty.status, ParseStatus::complete);
  EXPECT_TRUE(empty.value.methods.empty());
  EXPECT_EQ(parse_method_offer(view(Bytes{4})).error, ErrorCode::unsupported_version);
}

TEST(SocksMessages, UsernamePassword) {
  const Bytes msg{1, 3, 'b', 'o', 'b', 2, 'p', 'w'};
  expect_prefixes_need_more(msg, parse_username_password);
  auto p = parse_username_password(view(msg));
  EXPECT_EQ(p.value.username, "bob");
  EXPECT_EQ(std::string(p.value.password.begin(), p.value.password.end()), "pw");
  auto r = parse_username_password(view(Bytes{5, 1, 'a', 1, 'b'}));
  EXPECT_EQ(r.status, ParseStatus::error);
  EXPECT_EQ(r.error, ErrorCode::bad_auth_version);
}

TEST(SocksMessages, Socks5RequestForms) {
  const Bytes v4{5, 1, 0, 1, 10, 0, 0, 1, 0, 22};
  expect_prefixes_need_more(v4, parse_socks5_request);
  EXPECT_EQ(parse_socks5_request(view(v4)).value,
            (ConnectRequest{Version::socks5, Ipv4Address{{10, 0, 0, 1}}, 22, {}}));

  Bytes v6{5, 1, 0, 4};
  for (int i = 0; i < 15; ++i) v6.push_back(0);
  v6.push_back(1);
  v6.push_back(0x01);
  v6.push_back(0xbb);
  expect_prefixes_need_more(v6, parse_socks5_request);
  Ipv6Address loop;
  loop.bytes[15] = 1;
  EXPECT_EQ(parse_socks5_request(view(v6)).value, (ConnectRequest{Version::socks5, loop, 443, {}}));

  const Bytes name{5, 1, 0, 3, 3, 'a', '.', 'b', 0x1f, 0x90};
  expect_prefixes_need_more(name, parse_socks5_request);
  EXPECT_EQ(parse_socks5_request(view(name)).value, (ConnectRequest{Version::socks5, DomainName{"a.b"}, 8080, {}}));

  Bytes longest{5, 1, 0, 3, 255};
  longest.insert(longest.end(), 255, 'x');
  longest.push_back(0);
  longest.push_back(80);
  auto p = parse_socks5_request(view(longest));
  ASSERT_EQ(p.status, ParseStatus::complete);
  EXPECT_EQ(std::get<DomainName>(p.value.destination).name.size(), 255u);
}

TEST(SocksMessages, Socks5RequestErrorsAreEarly) {
  EXPECT_EQ(parse_socks5_request(view(Bytes{4})).error, ErrorCode::bad_request_version);
  EXPECT_EQ(parse_socks5_request(view(Bytes{5, 2})).error, ErrorCode::command_not_supported);
  EXPECT_EQ(parse_socks5_request(view(Bytes{5, 3})).error, ErrorCode::command_not_supported);
  EXPECT_EQ(parse_socks5_request(view(Bytes{5, 0})).error, ErrorCode::command_not_supported);
  EXPECT_EQ(parse_socks5_request(view(Bytes{5, 1, 0, 2})).error, ErrorCode::address_type_not_supported);
  EXPECT_EQ(parse_socks5_request(view(Bytes{5, 1, 0, 0})).error, ErrorCode::address_type_not_supported);
  EXPECT_EQ(parse_socks5_request(view(Bytes{5, 1, 0, 3, 0})).error, ErrorCode::malformed_address);
  EXPECT_EQ(parse_socks5_request(view(Bytes{5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80})).error, ErrorCode::malformed_address);
}

TEST(SocksMessages, Socks4AndSocks4a) {
  const Socks4Limits limits;
  auto parse = [&](ssh::ByteView in) { return parse_socks4_request(in, limits); };
  const Bytes plain{4, 1, 0, 80, 93, 184, 216, 34, 'u', 0};
  expect_prefixes_need_more(plain, parse);
  EXPECT_EQ(parse(view(plain)).value, (ConnectRequest{Version::socks4, Ipv4Address{{93, 184, 216, 34}}, 80, "u"}));

  const Bytes empty_user{4, 1, 0, 80, 1, 2, 3, 4, 0};
  EXPECT_EQ(parse(view(empty_user)).value.user_id, "");

  const Bytes a{4, 1, 1, 0xbb, 0, 0, 0, 7, 0, 'h', '.', 'c', 'o', 'm', 0};
  expect_prefixes_need_more(a, parse);
  EXPECT_EQ(parse(view(a)).value, (ConnectRequest{Version::socks4a, DomainName{"h.com"}, 443, ""}));

  // 0.0.0.0 is a (useless) IPv4 destination, not SOCKS4a.
  EXPECT_EQ(parse(view(Bytes{4, 1, 0, 80, 0, 0, 0, 0, 0})).value.version, Version::socks4);
  EXPECT_EQ(parse(view(Bytes{4, 1, 0, 80, 0, 0, 0, 1, 0, 0})).error, ErrorCode::malformed_address);
  EXPECT_EQ(parse(view(Bytes{4, 2})).error, ErrorCode::command_not_supported);
  EXPECT_EQ(parse(view(Bytes{5})).error, ErrorCode::unsupported_version);
}

TEST(SocksMessages, Socks4Bounds) {
  const Socks4Limits limits{4, 6};
  Bytes at_limit{4, 1, 0, 80, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 0};
  EXPECT_EQ(parse_socks4_request(view(at_limit), limits).status, ParseStatus::complete);
  Bytes over{4, 1, 0, 80, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'};
  EXPECT_EQ(parse_socks4_request(view(over), limits).error, ErrorCode::field_too_long);
  // Within the bound and unterminated: wait.
  EXPECT_EQ(parse_socks4_request(view(over).first(12), limits).status, ParseStatus::need_more);

  Bytes host{4, 1, 0, 80, 0, 0, 0, 1, 0, 'h', 'h', 'h', 'h', 'h', 'h', 0};
  EXPECT_EQ(parse_socks4_request(view(host), limits).status, ParseStatus::complete);
  host.insert(host.end() - 1, 'h');
  EXPECT_EQ(parse_socks4_request(view(host), limits).error, ErrorCode::field_too_long);

  // Default bounds: 255 bytes allowed, 256 refused.
  Bytes user{4, 1, 0, 80, 1, 2, 3, 4};
  user.insert(user.end(), 255, 'u');
  Bytes user_ok = user;
  user_ok.push_back(0);
  EXPECT_EQ(parse_socks4_request(view(user_ok), Socks4Limits{}).status, ParseStatus::complete);
  user.push_back('u');
  EXPECT_EQ(parse_socks4_request(view(user), Socks4Limits{}).error, ErrorCode::field_too_long);
}

}  // namespace
