#include "gateway/forward/remote_socks.hpp"

#include <gtest/gtest.h>

#include <initializer_list>

namespace {

using gateway::RemoteSocks;
using socks::ReplyCode;

// RFC 1928 §6 REP values for the ways a local connect can fail. The reply travels back through the
// SSH server to a SOCKS client that only sees the code, so each must say what actually happened.
TEST(RemoteSocksReply, RefusedIsConnectionRefused) {
  // X'05' Connection refused: the host answered with a reset.
  EXPECT_EQ(RemoteSocks::reply_for_connect_error(UV_ECONNREFUSED), ReplyCode::connection_refused);
  EXPECT_EQ(static_cast<int>(RemoteSocks::reply_for_connect_error(UV_ECONNREFUSED)), 0x05);
}

TEST(RemoteSocksReply, NoRouteToTheNetworkIsNetworkUnreachable) {
  // X'03' Network unreachable.
  EXPECT_EQ(RemoteSocks::reply_for_connect_error(UV_ENETUNREACH), ReplyCode::network_unreachable);
  EXPECT_EQ(RemoteSocks::reply_for_connect_error(UV_ENETDOWN), ReplyCode::network_unreachable);
  EXPECT_EQ(static_cast<int>(RemoteSocks::reply_for_connect_error(UV_ENETUNREACH)), 0x03);
}

TEST(RemoteSocksReply, UnreachableSilentOrUnknownHostIsHostUnreachable) {
  // X'04' Host unreachable: no route to the host, no answer from it, or no address for the name.
  for (int status : std::initializer_list<int>{UV_EHOSTUNREACH, UV_EHOSTDOWN, UV_ETIMEDOUT, UV_EAI_NONAME, UV_EAI_AGAIN, UV_EAI_FAIL,
                     UV_EAI_NODATA}) {
    EXPECT_EQ(RemoteSocks::reply_for_connect_error(status), ReplyCode::host_unreachable) << uv_err_name(status);
  }
  EXPECT_EQ(static_cast<int>(RemoteSocks::reply_for_connect_error(UV_EAI_NONAME)), 0x04);
}

TEST(RemoteSocksReply, UnusableAddressFamilyIsAddressTypeNotSupported) {
  // X'08' Address type not supported: e.g. an IPv6 destination on a host without IPv6.
  for (int status : std::initializer_list<int>{UV_EAFNOSUPPORT, UV_EAI_FAMILY, UV_EAI_ADDRFAMILY}) {
    EXPECT_EQ(RemoteSocks::reply_for_connect_error(status), ReplyCode::address_type_not_supported)
        << uv_err_name(status);
  }
}

TEST(RemoteSocksReply, EverythingElseIsGeneralFailure) {
  // X'01' General SOCKS server failure. Local resource problems and unexpected errors must not be
  // reported as something the destination did, nor as a ruleset decision (X'02').
  for (int status : std::initializer_list<int>{UV_ECONNRESET, UV_ECONNABORTED, UV_EMFILE, UV_ENFILE, UV_ENOBUFS, UV_EADDRNOTAVAIL,
                     UV_EACCES, UV_EPERM, UV_EINVAL, UV_ECANCELED, UV_EAI_MEMORY, UV_EOF, -99999}) {
    EXPECT_EQ(RemoteSocks::reply_for_connect_error(status), ReplyCode::general_failure) << status;
  }
}

TEST(RemoteSocksReply, NeverClaimsSuccessOrAnUnrelatedCode) {
  // Whatever the status, a failure reply must be a failure code from §6, and never one that
  // describes the request rather than the connect (command or ruleset) or a TTL.
  for (int status = -4100; status <= 0; ++status) {
    const ReplyCode code = RemoteSocks::reply_for_connect_error(status);
    EXPECT_NE(code, ReplyCode::succeeded) << status;
    EXPECT_NE(code, ReplyCode::not_allowed) << status;
    EXPECT_NE(code, ReplyCode::command_not_supported) << status;
    EXPECT_NE(code, ReplyCode::ttl_expired) << status;
  }
  for (int status : std::initializer_list<int>{UV_EAI_ADDRFAMILY, UV_EAI_AGAIN, UV_EAI_BADFLAGS, UV_EAI_CANCELED, UV_EAI_FAIL,
                     UV_EAI_FAMILY, UV_EAI_MEMORY, UV_EAI_NODATA, UV_EAI_NONAME, UV_EAI_OVERFLOW, UV_EAI_SERVICE,
                     UV_EAI_SOCKTYPE}) {
    EXPECT_NE(RemoteSocks::reply_for_connect_error(status), ReplyCode::succeeded) << uv_err_name(status);
  }
}

}  // namespace
