#include "ssh/transport/version_exchange.hpp"

#include <gtest/gtest.h>

namespace ssh::transport {
namespace {

TEST(VersionExchange, PlainCrLf) {
  VersionExchange v;
  const std::string in = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nREST";
  std::size_t used = 0;
  EXPECT_EQ(v.feed(as_bytes(in), used), VersionExchange::Status::done);
  EXPECT_EQ(used, in.size() - 4);
  EXPECT_EQ(v.version(), "SSH-2.0-OpenSSH_9.2p1 Debian-2");
  EXPECT_TRUE(v.banner_lines().empty());
}

TEST(VersionExchange, BannerLinesAndBareLfByteAtATime) {
  VersionExchange v;
  const std::string in = "Welcome\r\nsecond line\n\nSSH-1.99-Legacy\nX";
  std::size_t total = 0;
  VersionExchange::Status st = VersionExchange::Status::need_more;
  for (std::size_t i = 0; i < in.size() && st == VersionExchange::Status::need_more; ++i) {
    std::size_t used = 0;
    st = v.feed(as_bytes(std::string_view(in).substr(i, 1)), used);
    EXPECT_EQ(used, 1u);
    total += used;
  }
  EXPECT_EQ(st, VersionExchange::Status::done);
  EXPECT_EQ(total, in.size() - 1);
  EXPECT_EQ(v.version(), "SSH-1.99-Legacy");
  EXPECT_EQ(v.banner_lines(), (std::vector<std::string>{"Welcome", "second line", ""}));
}

TEST(VersionExchange, RejectsOtherVersions) {
  VersionExchange v;
  std::size_t used = 0;
  EXPECT_EQ(v.feed(as_bytes("SSH-1.5-old\r\n"), used), VersionExchange::Status::failed);
  EXPECT_TRUE(v.version_unsupported());
  EXPECT_NE(v.error().find("unsupported protocol version"), std::string::npos);
}

TEST(VersionExchange, RejectsOverlongLines) {
  VersionExchange v;
  std::size_t used = 0;
  const std::string ok_line = std::string(255, 'a') + "\r\n";
  EXPECT_EQ(v.feed(as_bytes(ok_line), used), VersionExchange::Status::need_more);
  const std::string long_line(300, 'b');
  EXPECT_EQ(v.feed(as_bytes(long_line), used), VersionExchange::Status::failed);
  EXPECT_LT(used, long_line.size()) << "stops reading as soon as the bound is crossed";

  VersionExchange w;
  EXPECT_EQ(w.feed(as_bytes("SSH-2.0-" + std::string(250, 'x') + "\r\n"), used), VersionExchange::Status::failed);
}

TEST(VersionExchange, BoundsBannerLineCount) {
  VersionExchange v;
  std::size_t used = 0;
  std::string many;
  for (std::size_t i = 0; i <= VersionExchange::kMaxBannerLines; ++i) many += "x\r\n";
  EXPECT_EQ(v.feed(as_bytes(many), used), VersionExchange::Status::failed);
}

TEST(VersionExchange, RejectsNulInVersion) {
  VersionExchange v;
  std::size_t used = 0;
  const std::string in("SSH-2.0-a\0b\r\n", 13);
  EXPECT_EQ(v.feed(as_bytes(in), used), VersionExchange::Status::failed);
}

TEST(VersionExchange, IdentificationLine) {
  EXPECT_EQ(identification_line("SSH-2.0-x"), "SSH-2.0-x\r\n");
}

}  // namespace
}  // namespace ssh::transport
