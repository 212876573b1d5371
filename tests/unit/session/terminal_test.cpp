// The local terminal's settings in RFC 4254 §8 terms, as ssh sends them with pty-req.
#include "gateway/session/terminal.hpp"

#include <gtest/gtest.h>

#include <map>

namespace gateway::session {
namespace {

namespace tm = ssh::connection::terminal_modes;

TEST(TerminalModes, SpeedsCharactersAndFlags) {
  termios tio{};
  tio.c_cc[VINTR] = 3;
  tio.c_cc[VEOF] = 4;
  tio.c_cc[VERASE] = _POSIX_VDISABLE;
  tio.c_iflag = ICRNL | IXON | IUTF8;
  tio.c_lflag = ISIG | ICANON | ECHO;
  tio.c_oflag = OPOST | ONLCR;
  tio.c_cflag = CS8;
  // After c_cflag: Linux keeps the speeds there.
  ::cfsetospeed(&tio, B38400);
  ::cfsetispeed(&tio, B38400);
  std::map<std::uint8_t, std::uint32_t> m;
  for (const auto& [op, value] : modes_of(tio)) m[op] = value;
  EXPECT_EQ(m[tm::kOSPEED], 38400u);
  EXPECT_EQ(m[tm::kISPEED], 38400u);
  EXPECT_EQ(m[tm::kVINTR], 3u);
  EXPECT_EQ(m[tm::kVEOF], 4u);
  EXPECT_EQ(m[tm::kVERASE], 255u) << "a disabled character is sent as 255";
  EXPECT_EQ(m[tm::kICRNL], 1u);
  EXPECT_EQ(m[tm::kIUTF8], 1u);
  EXPECT_EQ(m[tm::kIXOFF], 0u);
  EXPECT_EQ(m[tm::kECHO], 1u);
  EXPECT_EQ(m[tm::kECHOE], 0u);
  EXPECT_EQ(m[tm::kONLCR], 1u);
  EXPECT_EQ(m[tm::kCS8], 1u);
  EXPECT_EQ(m[tm::kCS7], 0u);
  // Encoded, they decode to the same pairs, ended by TTY_OP_END.
  const auto encoded = tm::encode(modes_of(tio));
  EXPECT_EQ(encoded.back(), 0);
  const auto decoded = tm::decode(encoded);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, modes_of(tio));
}

TEST(TerminalModes, DecodeStopsAtTheEndOrAnUndefinedOpcode) {
  EXPECT_EQ(tm::decode(ssh::Bytes{53, 0, 0, 0, 1, 0, 50, 0, 0, 0, 1}), (std::vector<tm::Mode>{{53, 1}}));
  EXPECT_EQ(tm::decode(ssh::Bytes{53, 0, 0, 0, 1, 200, 1, 2}), (std::vector<tm::Mode>{{53, 1}}));
  EXPECT_FALSE(tm::decode(ssh::Bytes{53, 0, 0}));
  EXPECT_EQ(tm::encode({}), ssh::Bytes{0});
}

TEST(RawMode, NotATerminalIsLeftAlone) {
  RawMode raw(-1);
  EXPECT_FALSE(raw.active());
  EXPECT_FALSE(raw.saved());
  EXPECT_FALSE(window_size(-1));
}

}  // namespace
}  // namespace gateway::session
