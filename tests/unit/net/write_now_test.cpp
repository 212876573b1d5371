#include "gateway/net/write_now.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <vector>

// write_now against a real socket pair: everything when the socket has room, and when it has not,
// exactly the written prefix dropped from the buffer list (whole buffers and part of one).

namespace {

class WriteNowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds_), 0);
    ASSERT_EQ(uv_pipe_init(&loop_, &pipe_, 0), 0);
    ASSERT_EQ(uv_pipe_open(&pipe_, fds_[0]), 0);
  }
  void TearDown() override {
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    ::close(fds_[1]);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  std::vector<std::uint8_t> drain() {
    std::vector<std::uint8_t> got;
    std::uint8_t chunk[65536];
    ssize_t n;
    while ((n = ::read(fds_[1], chunk, sizeof chunk)) > 0) got.insert(got.end(), chunk, chunk + n);
    return got;
  }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&pipe_); }

  uv_loop_t loop_{};
  uv_pipe_t pipe_{};
  int fds_[2] = {-1, -1};
};

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> v(size);
  for (std::size_t i = 0; i < size; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

TEST_F(WriteNowTest, EverythingGoesWhenTheSocketHasRoom) {
  auto a = pattern(10, 1);
  auto b = pattern(0, 2);
  auto c = pattern(300, 3);
  uv_buf_t bufs[3] = {uv_buf_init(reinterpret_cast<char*>(a.data()), 10), uv_buf_init(nullptr, 0),
                      uv_buf_init(reinterpret_cast<char*>(c.data()), 300)};
  EXPECT_EQ(gateway::net::write_now(stream(), bufs, 3), 3u);
  std::vector<std::uint8_t> want = a;
  want.insert(want.end(), c.begin(), c.end());
  EXPECT_EQ(drain(), want);
}

TEST_F(WriteNowTest, AFullSocketLeavesExactlyTheUnwrittenRest) {
  const int small = 4096;
  ASSERT_EQ(::setsockopt(fds_[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  std::vector<std::vector<std::uint8_t>> parts;
  std::vector<uv_buf_t> bufs;
  for (std::uint8_t i = 0; i < 8; ++i) parts.push_back(pattern(256 * 1024, i));
  for (auto& p : parts) bufs.push_back(uv_buf_init(reinterpret_cast<char*>(p.data()), static_cast<unsigned>(p.size())));

  const std::size_t first = gateway::net::write_now(stream(), bufs.data(), bufs.size());
  ASSERT_LT(first, bufs.size()) << "a 2 MiB write fitted a 4 KiB socket buffer";
  std::size_t left = 0;
  for (std::size_t i = first; i < bufs.size(); ++i) left += bufs[i].len;
  const std::vector<std::uint8_t> got = drain();
  ASSERT_EQ(got.size() + left, 8u * 256 * 1024);

  // What arrived is the prefix, and the first remaining buffer starts right after it.
  std::vector<std::uint8_t> all;
  for (auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), all.begin()));
  EXPECT_EQ(reinterpret_cast<std::uint8_t*>(bufs[first].base),
            parts[first].data() + (parts[first].size() - bufs[first].len));
  EXPECT_EQ(static_cast<std::uint8_t>(bufs[first].base[0]), all[got.size()]);
}

TEST_F(WriteNowTest, NothingWrittenLeavesTheListAsItWas) {
  const int small = 4096;
  ASSERT_EQ(::setsockopt(fds_[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  auto filler = pattern(1 << 20, 9);
  while (::write(fds_[0], filler.data(), filler.size()) > 0) {
  }
  auto a = pattern(100, 4);
  uv_buf_t bufs[1] = {uv_buf_init(reinterpret_cast<char*>(a.data()), 100)};
  EXPECT_EQ(gateway::net::write_now(stream(), bufs, 1), 0u);
  EXPECT_EQ(bufs[0].base, reinterpret_cast<char*>(a.data()));
  EXPECT_EQ(bufs[0].len, 100u);
}

}  // namespace
