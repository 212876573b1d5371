#include "ssh/transport/packet_writer.hpp"

#include <gtest/gtest.h>

namespace ssh::transport {
namespace {

TEST(PacketWriter, PaddingAlignsWholePacketIncludingLength) {
  for (std::size_t payload = 0; payload < 100; ++payload) {
    for (std::size_t block : {8u, 16u}) {
      const std::size_t pad = PacketWriter::padding_for(payload, block, false);
      EXPECT_GE(pad, 4u);
      EXPECT_LT(pad, 4u + block);
      EXPECT_EQ((4 + 1 + payload + pad) % block, 0u) << payload << " " << block;
    }
  }
}

TEST(PacketWriter, PaddingExcludesLengthForEtmAndAead) {
  for (std::size_t payload = 0; payload < 100; ++payload) {
    const std::size_t pad = PacketWriter::padding_for(payload, 16, true);
    EXPECT_GE(pad, 4u);
    EXPECT_EQ((1 + payload + pad) % 16, 0u);
  }
}

TEST(PacketWriter, BlockSizeBelowEightUsesEight) {
  const std::size_t pad = PacketWriter::padding_for(3, 1, false);
  EXPECT_EQ((4 + 1 + 3 + pad) % 8, 0u);
  EXPECT_GE(pad, 4u);
}

TEST(PacketWriter, NullCipherFramingAndRandomPadding) {
  PacketWriter w;
  Bytes out1, out2;
  const Bytes payload(20, 0x41);
  w.write(payload, out1);
  w.write(payload, out2);
  ASSERT_GE(out1.size(), 5u + payload.size());
  const std::uint32_t len =
      (std::uint32_t{out1[0]} << 24) | (std::uint32_t{out1[1]} << 16) | (std::uint32_t{out1[2]} << 8) | out1[3];
  EXPECT_EQ(len + 4, out1.size());
  EXPECT_EQ(out1[4], PacketWriter::padding_for(payload.size(), 8, false));
  EXPECT_EQ(Bytes(out1.begin() + 5, out1.begin() + 25), payload);
  EXPECT_EQ(out1.size(), out2.size());
  EXPECT_NE(Bytes(out1.begin() + 25, out1.end()), Bytes(out2.begin() + 25, out2.end())) << "padding is random";
  EXPECT_EQ(w.sequence(), 2u);
  w.reset_sequence();
  EXPECT_EQ(w.sequence(), 0u);
  EXPECT_EQ(w.packets(), 2u);
}

}  // namespace
}  // namespace ssh::transport
