// OpenSSH's mux protocol as mux.c speaks it: uint32 flags in NEW_SESSION, a uint32 -W port,
// request ids repeated in replies, unknown types surfaced (answered with FAILURE, not fatal).
#include "ssh/mux/mux_messages.hpp"

#include <gtest/gtest.h>

#include "ssh/wire/frame_decoder.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::mux {
namespace {

Bytes body_of(const Bytes& frame) {
  wire::FrameDecoder d("mux client", kMaxMessage);
  d.feed(frame);
  auto r = d.next();
  EXPECT_EQ(r.status, wire::FrameDecoder::Status::frame);
  return r.body;
}

template <class T>
T client(const Bytes& frame) {
  std::string error;
  auto m = parse_client(body_of(frame), error);
  EXPECT_TRUE(m) << error;
  return std::get<T>(*m);
}

TEST(MuxMessages, NewSessionAsOpenSshSendsIt) {
  // OpenSSH 9.2 mux_client_request_session: reserved string, four uint32 flags, escape char,
  // TERM, command, then environment strings to the end.
  wire::Writer w;
  w.u32(type::kNewSession).u32(3).string(std::string_view("")).u32(1).u32(0).u32(1).u32(0).u32('~');
  w.string(std::string_view("xterm-256color")).string(std::string_view("uname -a"));
  w.string(std::string_view("LANG=C")).string(std::string_view("LC_ALL=C"));
  std::string error;
  const auto m = parse_client(w.data(), error);
  ASSERT_TRUE(m) << error;
  const auto& s = std::get<NewSession>(*m);
  EXPECT_EQ(s.rid, 3u);
  EXPECT_TRUE(s.want_tty);
  EXPECT_FALSE(s.want_x11);
  EXPECT_TRUE(s.want_agent);
  EXPECT_FALSE(s.subsystem);
  EXPECT_EQ(s.escape_char, static_cast<std::uint32_t>('~'));
  EXPECT_EQ(s.term, "xterm-256color");
  EXPECT_EQ(s.command, "uname -a");
  EXPECT_EQ(s.env, (std::vector<std::string>{"LANG=C", "LC_ALL=C"}));
  // Our encoder writes the same bytes.
  EXPECT_EQ(body_of(encode(s)), w.data());
}

TEST(MuxMessages, ForwardsAndStdioForward) {
  Forward f{true, 7, kForwardRemote, "", 0, "localhost", 8080};
  const auto back = client<Forward>(encode(f));
  EXPECT_TRUE(back.open);
  EXPECT_EQ(back.kind, kForwardRemote);
  EXPECT_EQ(back.connect_host, "localhost");
  EXPECT_EQ(back.connect_port, 8080u);
  Forward unix_side{false, 8, kForwardLocal, "/tmp/l.sock", kPortStreamlocal, "/run/r.sock", kPortStreamlocal};
  const auto u = client<Forward>(encode(unix_side));
  EXPECT_FALSE(u.open);
  EXPECT_EQ(u.listen_port, kPortStreamlocal);
  const auto w = client<NewStdioForward>(encode(NewStdioForward{9, "db", 5432}));
  EXPECT_EQ(w.host, "db");
  EXPECT_EQ(w.port, 5432u);
  std::string error;
  wire::Writer bad;
  bad.u32(type::kOpenForward).u32(1).u32(1).string(std::string_view("")).u32(70000).string(std::string_view("h")).u32(1);
  EXPECT_FALSE(parse_client(bad.data(), error)) << "a port above 65535 that is not the socket marker";
}

TEST(MuxMessages, PlainRequestsHelloAndUnknownTypes) {
  EXPECT_EQ(client<Plain>(encode(Plain{type::kAliveCheck, 0})).type, type::kAliveCheck);
  const auto h = client<Hello>(encode(Hello{4, {{"info", "0"}}}));
  EXPECT_EQ(h.version, 4u);
  ASSERT_EQ(h.extensions.size(), 1u);
  EXPECT_EQ(h.extensions[0].first, "info");
  wire::Writer unknown;
  unknown.u32(0x10000077).u32(5);
  std::string error;
  const auto u = parse_client(unknown.data(), error);
  ASSERT_TRUE(u);
  EXPECT_EQ(std::get<Unknown>(*u).rid, 5u);
  EXPECT_FALSE(parse_client(Bytes{0, 0}, error));
  // An embedded NUL is refused, as OpenSSH's C strings refuse it.
  wire::Writer nul;
  nul.u32(type::kExtInfo).u32(1).string(std::string_view("a\0b", 3));
  EXPECT_FALSE(parse_client(nul.data(), error));
}

TEST(MuxMessages, MasterRepliesRoundTrip) {
  std::string error;
  auto parse = [&](const Bytes& frame) {
    auto m = parse_master(body_of(frame), error);
    EXPECT_TRUE(m) << error;
    return *m;
  };
  EXPECT_EQ(std::get<Alive>(parse(encode(Alive{2, 4242}))).pid, 4242u);
  EXPECT_EQ(std::get<SessionOpened>(parse(encode(SessionOpened{3, 17}))).session, 17u);
  EXPECT_EQ(std::get<ExitMessage>(parse(encode(ExitMessage{17, 42}))).status, 42u);
  EXPECT_EQ(std::get<RemotePort>(parse(encode(RemotePort{4, 40001}))).port, 40001u);
  const auto refused = std::get<Refused>(parse(encode(Refused{type::kPermissionDenied, 5, "Permission denied"})));
  EXPECT_EQ(refused.type, type::kPermissionDenied);
  EXPECT_EQ(refused.reason, "Permission denied");
  EXPECT_EQ(std::get<ExtInfoReply>(parse(encode(ExtInfoReply{6, 1, "text"}))).message, "text");
  EXPECT_EQ(std::get<TtyAllocFail>(parse(encode(TtyAllocFail{17}))).session, 17u);
  EXPECT_FALSE(parse_master(Bytes{0x12, 0x34, 0x56, 0x78}, error));
}

TEST(FrameDecoder, SkipsTheOneByteMessagesThatCarryDescriptors) {
  wire::FrameDecoder d("mux client", kMaxMessage);
  Bytes stream = encode(Plain{type::kAliveCheck, 1});
  stream.push_back(0);  // the byte sent with a descriptor
  const Bytes second = encode(Plain{type::kTerminate, 2});
  stream.insert(stream.end(), second.begin(), second.end());
  // The request arrived, its descriptor byte not yet: nothing to skip so far.
  d.feed(ByteView(stream).first(12));
  ASSERT_EQ(d.next().status, wire::FrameDecoder::Status::frame);
  EXPECT_EQ(d.skip(1), 0u);
  d.feed(ByteView(stream).subspan(12, 5));
  EXPECT_EQ(d.skip(1), 1u);
  d.feed(ByteView(stream).subspan(17));
  const auto r = d.next();
  ASSERT_EQ(r.status, wire::FrameDecoder::Status::frame);
  std::string error;
  EXPECT_EQ(std::get<Plain>(*parse_client(r.body, error)).type, type::kTerminate);
  wire::FrameDecoder big("mux client", 16);
  big.feed(Bytes{0, 0, 0, 17});
  EXPECT_EQ(big.next().status, wire::FrameDecoder::Status::error);
}

}  // namespace
}  // namespace ssh::mux
