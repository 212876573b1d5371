#include "ssh/keys/public_key.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "ssh/wire/reader.hpp"
#include "unit/keys/key_test_support.hpp"

namespace {

using ssh::keys::parse_public_key_line;

// A real ed25519 line (ssh-keygen output) and its parts.
constexpr std::string_view kEd25519Blob64 = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

TEST(PublicKeyLine, ParsesTypeBlobAndComment) {
  const auto key = parse_public_key_line("ssh-ed25519 " + std::string(kEd25519Blob64) + " user@host with spaces\n");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->type, "ssh-ed25519");
  EXPECT_EQ(key->comment, "user@host with spaces");
  ASSERT_EQ(key->blob.size(), 51u);  // string "ssh-ed25519" | string key(32)
  ssh::wire::Reader r(key->blob);
  std::string type;
  ssh::ByteView pub;
  ASSERT_TRUE(r.string(type) && r.string(pub));
  EXPECT_EQ(type, "ssh-ed25519");
  EXPECT_EQ(pub.size(), 32u);
}

TEST(PublicKeyLine, CommentIsOptionalAndBlanksAreTolerated) {
  const auto key = parse_public_key_line("  ssh-ed25519\t" + std::string(kEd25519Blob64) + "  \r\n");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->comment, "");
}

TEST(PublicKeyLine, RejectsMalformedLines) {
  const std::string blob(kEd25519Blob64);
  for (const std::string& line : std::vector<std::string>{
           "", "ssh-ed25519", "ssh-ed25519  ", "ssh-rsa " + blob,                            // type mismatch
           "ecdsa-sha2-nistp256 " + blob, "ssh-ed25519 " + blob.substr(0, blob.size() - 4),  // truncated blob
           "ssh-ed25519 " + blob + "AAAA",                                                   // trailing bytes
           "ssh-ed25519 " + blob.substr(0, 10) + "*" + blob.substr(11),                      // bad base64
           "ssh-ed25519 " + blob + "=",                                                      // bad padding
           "ssh-ed25519 AAAA", "ssh-ed25519 ====",
           "ssh-ed\x01"
           "25519 " +
               blob}) {
    SCOPED_TRACE(line);
    EXPECT_FALSE(parse_public_key_line(line));
  }
}

TEST(PublicKeyLine, UnknownTypesOnlyNeedAMatchingTypeString) {
  // Certificates and security-key types are carried opaquely; only the leading type is checked.
  // Blob: string "sk-ssh-ed25519@openssh.com" | two junk bytes.
  std::string raw;
  const std::string type = "sk-ssh-ed25519@openssh.com";
  raw += std::string("\0\0\0", 3) + static_cast<char>(type.size()) + type + "xy";
  std::string b64(4 * ((raw.size() + 2) / 3) + 1, '\0');
  b64.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                                      reinterpret_cast<const unsigned char*>(raw.data()),
                                                      static_cast<int>(raw.size()))));
  EXPECT_TRUE(parse_public_key_line(type + " " + b64));
  EXPECT_FALSE(parse_public_key_line("sk-ecdsa-sha2-nistp256@openssh.com " + b64));
}

TEST(PublicKeyLine, ParsesEveryKeyTypeSshKeygenWrites) {
  keytest::ScratchDir dir;
  for (const auto& [args, type] :
       std::vector<std::pair<std::string, std::string>>{{"-t ed25519", "ssh-ed25519"},
                                                        {"-t ecdsa -b 256", "ecdsa-sha2-nistp256"},
                                                        {"-t ecdsa -b 384", "ecdsa-sha2-nistp384"},
                                                        {"-t ecdsa -b 521", "ecdsa-sha2-nistp521"},
                                                        {"-t rsa -b 2048", "ssh-rsa"}}) {
    const std::string file = dir.file(type);
    ASSERT_TRUE(keytest::run("ssh-keygen -q " + args + " -N '' -C 'c o' -f " + keytest::quote(file)));
    const auto key = parse_public_key_line(keytest::read_file(file + ".pub"));
    ASSERT_TRUE(key) << type;
    EXPECT_EQ(key->type, type);
    EXPECT_EQ(key->comment, "c o");
  }
}

}  // namespace
