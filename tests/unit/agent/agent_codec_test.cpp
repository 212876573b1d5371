#include "ssh/agent/agent_codec.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ssh/crypto/base64.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace {

using namespace ssh::agent;
using ssh::Bytes;
using ssh::ByteView;

Bytes framed(const Bytes& body) {
  ssh::wire::Writer w;
  w.string(ByteView(body));
  return w.take();
}

Bytes identities_body(const std::vector<std::pair<Bytes, std::string>>& ids) {
  ssh::wire::Writer w(kIdentitiesAnswer);
  w.u32(static_cast<std::uint32_t>(ids.size()));
  for (const auto& [blob, comment] : ids) w.string(ByteView(blob)).string(std::string_view(comment));
  return w.take();
}

TEST(AgentCodec, EncodeRequestIdentities) {
  EXPECT_EQ(encode_request_identities(), (Bytes{0, 0, 0, 1, 11}));
}

TEST(AgentCodec, EncodeSignRequest) {
  const Bytes key{1, 2, 3};
  const Bytes data{9, 9};
  const Bytes frame = encode_sign_request(key, data, kRsaSha2_512);
  ssh::wire::Reader r(frame);
  std::uint32_t len = 0, flags = 0;
  std::uint8_t type = 0;
  ByteView k, d;
  ASSERT_TRUE(r.u32(len) && r.u8(type) && r.string(k) && r.string(d) && r.u32(flags));
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(len, frame.size() - 4);
  EXPECT_EQ(type, kSignRequest);
  EXPECT_EQ(Bytes(k.begin(), k.end()), key);
  EXPECT_EQ(Bytes(d.begin(), d.end()), data);
  EXPECT_EQ(flags, 4u);
  EXPECT_EQ(sign_flags_for_algorithm("rsa-sha2-256"), 2u);
  EXPECT_EQ(sign_flags_for_algorithm("rsa-sha2-512"), 4u);
  EXPECT_EQ(sign_flags_for_algorithm("ssh-ed25519"), 0u);
}

TEST(AgentCodec, IdentitiesRoundTripThroughFrameDecoder) {
  const Bytes body = identities_body({{Bytes{1, 2, 3}, "alice@laptop"}, {Bytes{4}, ""}});
  const Bytes wire = framed(body);
  FrameDecoder dec;
  // Byte by byte: need_more until the last byte.
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    dec.feed(ByteView(wire).subspan(i, 1));
    EXPECT_EQ(dec.next().status, FrameDecoder::Status::need_more);
  }
  dec.feed(ByteView(wire).subspan(wire.size() - 1));
  auto f = dec.next();
  ASSERT_EQ(f.status, FrameDecoder::Status::frame);
  EXPECT_EQ(f.body, body);
  EXPECT_EQ(dec.buffered(), 0u);

  auto d = decode_response(f.body);
  ASSERT_TRUE(d.ok) << d.error;
  auto* ids = std::get_if<IdentitiesAnswer>(&d.response);
  ASSERT_NE(ids, nullptr);
  ASSERT_EQ(ids->identities.size(), 2u);
  EXPECT_EQ(ids->identities[0].key_blob, (Bytes{1, 2, 3}));
  EXPECT_EQ(ids->identities[0].comment, "alice@laptop");
  EXPECT_EQ(ids->identities[1].key_blob, (Bytes{4}));
}

TEST(AgentCodec, TwoFramesInOneRead) {
  Bytes wire = framed(Bytes{kFailure});
  const Bytes sig = framed([] {
    ssh::wire::Writer w(kSignResponse);
    w.string(ByteView(Bytes{7, 7, 7}));
    return w.take();
  }());
  wire.insert(wire.end(), sig.begin(), sig.end());
  FrameDecoder dec;
  dec.feed(wire);
  auto a = dec.next();
  auto b = dec.next();
  ASSERT_EQ(a.status, FrameDecoder::Status::frame);
  ASSERT_EQ(b.status, FrameDecoder::Status::frame);
  EXPECT_EQ(dec.next().status, FrameDecoder::Status::need_more);
  EXPECT_TRUE(std::holds_alternative<Failure>(decode_response(a.body).response));
  auto s = decode_response(b.body);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(std::get<SignResponse>(s.response).signature, (Bytes{7, 7, 7}));
}

TEST(AgentCodec, OversizedAndEmptyFramesAreErrors) {
  FrameDecoder dec(1024);
  dec.feed(Bytes{0, 0, 4, 1});  // 1025
  auto r = dec.next();
  EXPECT_EQ(r.status, FrameDecoder::Status::error);
  EXPECT_FALSE(r.error.empty());
  dec.feed(framed(Bytes{kFailure}));
  EXPECT_EQ(dec.next().status, FrameDecoder::Status::error);  // sticky

  FrameDecoder big;
  big.feed(Bytes{0xff, 0xff, 0xff, 0xff});
  EXPECT_EQ(big.next().status, FrameDecoder::Status::error);

  FrameDecoder empty;
  empty.feed(Bytes{0, 0, 0, 0});
  EXPECT_EQ(empty.next().status, FrameDecoder::Status::error);

  FrameDecoder at_limit(4);
  at_limit.feed(Bytes{0, 0, 0, 4, kSuccess, 0, 0, 0});
  EXPECT_EQ(at_limit.next().status, FrameDecoder::Status::frame);
}

TEST(AgentCodec, MalformedResponsesRejected) {
  EXPECT_FALSE(decode_response({}).ok);
  EXPECT_FALSE(decode_response(Bytes{99}).ok);  // unknown type
  EXPECT_FALSE(decode_response(Bytes{kIdentitiesAnswer}).ok);
  EXPECT_FALSE(decode_response(Bytes{kIdentitiesAnswer, 0, 0, 0}).ok);
  // Count claims a million keys in a tiny message: rejected before allocating.
  EXPECT_FALSE(decode_response(Bytes{kIdentitiesAnswer, 0, 0x0f, 0x42, 0x40, 0, 0, 0, 0, 0, 0, 0, 0}).ok);
  // Truncated comment.
  Bytes trunc = identities_body({{Bytes{1}, "comment"}});
  trunc.pop_back();
  EXPECT_FALSE(decode_response(trunc).ok);
  // Trailing bytes.
  Bytes trail = identities_body({{Bytes{1}, "c"}});
  trail.push_back(0);
  EXPECT_FALSE(decode_response(trail).ok);
  // Empty key blob.
  EXPECT_FALSE(decode_response(identities_body({{Bytes{}, "c"}})).ok);
  // Sign response: truncated, trailing, empty.
  EXPECT_FALSE(decode_response(Bytes{kSignResponse, 0, 0, 0, 5, 1}).ok);
  EXPECT_FALSE(decode_response(Bytes{kSignResponse, 0, 0, 0, 1, 1, 0}).ok);
  EXPECT_FALSE(decode_response(Bytes{kSignResponse, 0, 0, 0, 0}).ok);
  // Zero identities is a valid answer.
  auto zero = decode_response(identities_body({}));
  ASSERT_TRUE(zero.ok);
  EXPECT_TRUE(std::get<IdentitiesAnswer>(zero.response).identities.empty());
  EXPECT_TRUE(decode_response(Bytes{kExtensionFailure}).ok);
  EXPECT_TRUE(std::holds_alternative<Success>(decode_response(Bytes{kSuccess}).response));
}

// Talks to a real ssh-agent over its socket: list identities, then sign with the listed key.
class RealAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent_test_XXXXXX";
    const char* d = mkdtemp(tmpl);
    ASSERT_NE(d, nullptr);
    dir_ = d;
    sock_ = dir_ + "/agent.sock";
    const std::string key = dir_ + "/id";
    ASSERT_EQ(std::system(("ssh-keygen -q -t ed25519 -N '' -C agent-test-key -f " + key + " >/dev/null 2>&1").c_str()),
              0);
    // Foreground agent (-D) as our own child, so TearDown can stop and reap it.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::string a0 = "ssh-agent", a1 = "-D", a2 = "-a";
    char* argv[] = {a0.data(), a1.data(), a2.data(), sock_.data(), nullptr};
    const int rc = posix_spawnp(&pid_, "ssh-agent", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(rc, 0) << "ssh-agent not available";
    for (int i = 0; i < 500 && !std::filesystem::exists(sock_); ++i) usleep(10000);
    ASSERT_TRUE(std::filesystem::exists(sock_));
    ASSERT_EQ(std::system(("SSH_AUTH_SOCK=" + sock_ + " ssh-add -q " + key + " >/dev/null 2>&1").c_str()), 0);
    std::ifstream in(key + ".pub");
    std::string type, b64;
    in >> type >> b64;
    auto blob = ssh::crypto::base64_decode(b64);
    ASSERT_TRUE(blob.has_value());
    pub_ = *blob;
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // One request, one answer, over a fresh connection.
  DecodeResult exchange(const Bytes& request) {
    DecodeResult fail;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return fail;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock_.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      ::close(fd);
      return fail;
    }
    FrameDecoder dec;
    std::uint8_t buf[4096];
    while (true) {
      auto f = dec.next();
      if (f.status == FrameDecoder::Status::frame) {
        ::close(fd);
        return decode_response(f.body);
      }
      if (f.status == FrameDecoder::Status::error) break;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      dec.feed(ByteView(buf, static_cast<std::size_t>(n)));
    }
    ::close(fd);
    return fail;
  }

  std::string dir_;
  std::string sock_;
  pid_t pid_ = 0;
  Bytes pub_;
};

TEST_F(RealAgent, ListsIdentitiesAndSigns) {
  auto ids = exchange(encode_request_identities());
  ASSERT_TRUE(ids.ok) << ids.error;
  const auto& list = std::get<IdentitiesAnswer>(ids.response).identities;
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].key_blob, pub_);
  EXPECT_EQ(list[0].comment, "agent-test-key");

  const Bytes data{'h', 'e', 'l', 'l', 'o'};
  auto sig = exchange(encode_sign_request(pub_, data, 0));
  ASSERT_TRUE(sig.ok) << sig.error;
  const Bytes& blob = std::get<SignResponse>(sig.response).signature;
  ssh::wire::Reader r(blob);
  std::string alg;
  ByteView raw;
  ASSERT_TRUE(r.string(alg) && r.string(raw));
  EXPECT_EQ(alg, "ssh-ed25519");
  EXPECT_EQ(raw.size(), 64u);

  // A key the agent does not hold: SSH_AGENT_FAILURE.
  Bytes other = pub_;
  other.back() ^= 1;
  auto refused = exchange(encode_sign_request(other, data, 0));
  ASSERT_TRUE(refused.ok);
  EXPECT_TRUE(std::holds_alternative<Failure>(refused.response));
}

}  // namespace
