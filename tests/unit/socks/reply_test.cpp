#include "socks/reply.hpp"

#include <gtest/gtest.h>

namespace {

using namespace socks;
using ssh::Bytes;

TEST(SocksReply, Socks5EveryRfc1928Code) {
  // RFC 1928 §6: VER REP RSV ATYP BND.ADDR BND.PORT with 0.0.0.0:0.
  for (std::uint8_t code = 0; code <= 8; ++code) {
    EXPECT_EQ(encode_socks5_reply(static_cast<ReplyCode>(code)), (Bytes{5, code, 0, 1, 0, 0, 0, 0, 0, 0}));
  }
  EXPECT_EQ(static_cast<int>(ReplyCode::general_failure), 1);
  EXPECT_EQ(static_cast<int>(ReplyCode::not_allowed), 2);
  EXPECT_EQ(static_cast<int>(ReplyCode::network_unreachable), 3);
  EXPECT_EQ(static_cast<int>(ReplyCode::host_unreachable), 4);
  EXPECT_EQ(static_cast<int>(ReplyCode::connection_refused), 5);
  EXPECT_EQ(static_cast<int>(ReplyCode::ttl_expired), 6);
  EXPECT_EQ(static_cast<int>(ReplyCode::command_not_supported), 7);
  EXPECT_EQ(static_cast<int>(ReplyCode::address_type_not_supported), 8);
}

TEST(SocksReply, Socks5BoundAddresses) {
  EXPECT_EQ(encode_socks5_reply(ReplyCode::succeeded, Ipv4Address{{127, 0, 0, 1}}, 1080),
            (Bytes{5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0x38}));
  Ipv6Address loop;
  loop.bytes[15] = 1;
  EXPECT_EQ(encode_socks5_reply(ReplyCode::succeeded, loop, 0xabcd),
            (Bytes{5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xab, 0xcd}));
  EXPECT_EQ(encode_socks5_reply(ReplyCode::succeeded, DomainName{"ab"}, 80), (Bytes{5, 0, 0, 3, 2, 'a', 'b', 0, 80}));
  const Bytes long_name = encode_socks5_reply(ReplyCode::succeeded, DomainName{std::string(300, 'x')}, 1);
  ASSERT_EQ(long_name.size(), 4u + 1 + 255 + 2);
  EXPECT_EQ(long_name[4], 255);
}

TEST(SocksReply, Socks4GrantedAndRejected) {
  EXPECT_EQ(encode_socks4_reply(true), (Bytes{0, 0x5A, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_socks4_reply(false), (Bytes{0, 0x5B, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_socks4_reply(true, 0x1234, Ipv4Address{{1, 2, 3, 4}}), (Bytes{0, 0x5A, 0x12, 0x34, 1, 2, 3, 4}));
}

TEST(SocksReply, ByRequestVersion) {
  ConnectRequest r5{Version::socks5, DomainName{"h"}, 1, {}};
  ConnectRequest r4{Version::socks4, Ipv4Address{{1, 2, 3, 4}}, 1, "u"};
  ConnectRequest r4a{Version::socks4a, DomainName{"h"}, 1, "u"};
  EXPECT_EQ(encode_success(r5), (Bytes{5, 0, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_success(r4), (Bytes{0, 0x5A, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_success(r4a), (Bytes{0, 0x5A, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_failure(r5, ReplyCode::connection_refused), (Bytes{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_failure(r4, ReplyCode::connection_refused), (Bytes{0, 0x5B, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_failure(r4a, ReplyCode::host_unreachable), (Bytes{0, 0x5B, 0, 0, 0, 0, 0, 0}));
  // A failure reply never says "succeeded".
  EXPECT_EQ(encode_failure(r5, ReplyCode::succeeded), (Bytes{5, 1, 0, 1, 0, 0, 0, 0, 0, 0}));
}

TEST(SocksReply, NegotiationMessages) {
  EXPECT_EQ(encode_method_selection(method_no_auth), (Bytes{5, 0}));
  EXPECT_EQ(encode_method_selection(method_username_password), (Bytes{5, 2}));
  EXPECT_EQ(encode_method_selection(method_none_acceptable), (Bytes{5, 0xFF}));
  EXPECT_EQ(encode_auth_status(true), (Bytes{1, 0}));
  EXPECT_EQ(encode_auth_status(false), (Bytes{1, 1}));
}

}  // namespace
