// SSH2_AGENTC_ADD_IDENTITY / SSH2_AGENTC_ADD_ID_CONSTRAINED frames (draft-miller-ssh-agent §4.2,
// OpenSSH PROTOCOL.agent), byte for byte.
#include <gtest/gtest.h>

#include <initializer_list>

#include "ssh/agent/agent_codec.hpp"
#include "ssh/wire/writer.hpp"

namespace {

using ssh::Bytes;

// A stand-in for an encoded key: the codec copies it verbatim after the message type.
const Bytes kKey = {0x00, 0x00, 0x00, 0x03, 'k', 'e', 'y', 0xAA, 0xBB};

Bytes frame(std::uint8_t type, const Bytes& tail) {
  Bytes body{type};
  body.insert(body.end(), kKey.begin(), kKey.end());
  // string comment "c"
  for (std::uint8_t b : std::initializer_list<std::uint8_t>{0x00, 0x00, 0x00, 0x01, 'c'}) body.push_back(b);
  body.insert(body.end(), tail.begin(), tail.end());
  // The length prefix through the wire writer (GCC 12's -O2 array-bounds check misreads a
  // hand-built one).
  ssh::wire::Writer w;
  w.string(ssh::ByteView(body.data(), body.size()));
  return w.take();
}

Bytes encode(const ssh::agent::KeyConstraints& constraints) {
  const ssh::SecretBytes frame = ssh::agent::encode_add_identity(kKey, "c", constraints);
  return Bytes(frame.begin(), frame.end());
}

TEST(AgentAddIdentityCodec, WithoutConstraintsIsAddIdentity) {
  EXPECT_EQ(ssh::agent::kAddIdentity, 17);
  EXPECT_EQ(encode({}), frame(17, {}));
}

TEST(AgentAddIdentityCodec, LifetimeIsByteOneAndSeconds) {
  EXPECT_EQ(ssh::agent::kAddIdConstrained, 25);
  ssh::agent::KeyConstraints c;
  c.lifetime_seconds = 0x01020304;
  EXPECT_EQ(encode(c), frame(25, {1, 0x01, 0x02, 0x03, 0x04}));
}

TEST(AgentAddIdentityCodec, ConfirmIsByteTwo) {
  ssh::agent::KeyConstraints c;
  c.confirm = true;
  EXPECT_EQ(encode(c), frame(25, {2}));
}

TEST(AgentAddIdentityCodec, LifetimeComesBeforeConfirm) {
  ssh::agent::KeyConstraints c;
  c.lifetime_seconds = 300;
  c.confirm = true;
  EXPECT_EQ(encode(c), frame(25, {1, 0x00, 0x00, 0x01, 0x2C, 2}));
}

TEST(AgentAddIdentityCodec, EmptyCommentIsAnEmptyString) {
  const ssh::SecretBytes out = ssh::agent::encode_add_identity(kKey, "", {});
  Bytes expected = {0, 0, 0, static_cast<std::uint8_t>(1 + kKey.size() + 4), 17};
  expected.insert(expected.end(), kKey.begin(), kKey.end());
  expected.insert(expected.end(), 4, 0);
  EXPECT_EQ(Bytes(out.begin(), out.end()), expected);
}

}  // namespace
