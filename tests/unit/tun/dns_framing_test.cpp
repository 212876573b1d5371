#include "tun/dns_framing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "tun/packet.hpp"
#include "unit/tun/sample_packets.hpp"

namespace {

using namespace tun;

// The example.com A query of the samples (id 0xabcd).
Bytes query() {
  const auto& p = tun_test::v4_udp_dns;
  return Bytes(p.begin() + 28, p.end());
}

Bytes message(std::uint16_t id, std::size_t size) {
  Bytes m(size, 0);
  for (std::size_t i = 0; i < size; ++i) m[i] = static_cast<std::uint8_t>(i * 7 + id);
  set_dns_id(m, id);
  return m;
}

TEST(TunDnsFraming, FramePrefixesLength) {
  const Bytes q = query();
  const auto f = frame_dns_message(q);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->size(), q.size() + 2);
  EXPECT_EQ((*f)[0], 0);
  EXPECT_EQ((*f)[1], q.size());
  EXPECT_FALSE(frame_dns_message(Bytes(11)));
  EXPECT_FALSE(frame_dns_message(Bytes(65536)));
  EXPECT_TRUE(frame_dns_message(Bytes(65535)));
}

TEST(TunDnsFraming, EverySplitOfThreeMessages) {
  const std::vector<Bytes> messages = {message(1, 12), message(2, 300), message(3, 29)};
  Bytes stream;
  for (const auto& m : messages) {
    const auto f = frame_dns_message(m);
    stream.insert(stream.end(), f->begin(), f->end());
  }
  // Every pair of cut points: three reads of any sizes.
  for (std::size_t a = 0; a <= stream.size(); ++a) {
    for (std::size_t b = a; b <= stream.size(); ++b) {
      DnsStreamReader reader;
      std::vector<Bytes> got;
      const std::span<const std::uint8_t> all(stream);
      for (auto part : {all.first(a), all.subspan(a, b - a), all.subspan(b)}) {
        while (!part.empty()) {
          const auto s = reader.feed(part);
          ASSERT_NE(s, DnsStreamReader::Status::error);
          if (s == DnsStreamReader::Status::message) got.emplace_back(reader.message().begin(), reader.message().end());
        }
      }
      EXPECT_EQ(got, messages) << a << " " << b;
      EXPECT_EQ(reader.buffered(), 0u);
    }
  }
}

TEST(TunDnsFraming, ByteAtATime) {
  const Bytes m = message(9, 40);
  const Bytes f = *frame_dns_message(m);
  DnsStreamReader reader;
  int messages = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    std::span<const std::uint8_t> one(&f[i], 1);
    const auto s = reader.feed(one);
    EXPECT_TRUE(one.empty());
    if (s == DnsStreamReader::Status::message) {
      ++messages;
      EXPECT_EQ(Bytes(reader.message().begin(), reader.message().end()), m);
      EXPECT_EQ(i, f.size() - 1);
    }
  }
  EXPECT_EQ(messages, 1);
}

TEST(TunDnsFraming, BadLengthsAreFinal) {
  DnsStreamReader reader;
  const Bytes short_len = {0, 11, 1, 2, 3};
  std::span<const std::uint8_t> in(short_len);
  EXPECT_EQ(reader.feed(in), DnsStreamReader::Status::error);
  EXPECT_EQ(reader.error(), DnsStreamReader::Error::too_short);
  EXPECT_EQ(reader.feed(in), DnsStreamReader::Status::error);
  DnsStreamReader bounded(512);
  const Bytes big = {0x02, 0x01};  // 513
  std::span<const std::uint8_t> in2(big);
  EXPECT_EQ(bounded.feed(in2), DnsStreamReader::Status::error);
  EXPECT_EQ(bounded.error(), DnsStreamReader::Error::too_long);
  DnsStreamReader zero;
  const Bytes empty_message = {0, 0};
  std::span<const std::uint8_t> in3(empty_message);
  EXPECT_EQ(zero.feed(in3), DnsStreamReader::Status::error);
}

TEST(TunDnsFraming, HeaderFields) {
  Bytes q = query();
  EXPECT_EQ(dns_id(q), 0xabcd);
  EXPECT_FALSE(dns_is_response(q));
  EXPECT_FALSE(dns_is_truncated(q));
  EXPECT_TRUE(set_dns_id(q, 0x0102));
  EXPECT_EQ(q[0], 1);
  EXPECT_EQ(q[1], 2);
  EXPECT_FALSE(dns_id(Bytes(11)));
  Bytes small(11);
  EXPECT_FALSE(set_dns_id(small, 1));
}

TEST(TunDnsFraming, UdpLimitFromEdns) {
  Bytes q = query();
  EXPECT_EQ(dns_udp_limit(q), 512u);
  // Add an OPT record (root name, type 41, class = 1232, TTL 0, no data) as the additional record.
  q[11] = 1;
  const Bytes opt = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
  q.insert(q.end(), opt.begin(), opt.end());
  EXPECT_EQ(dns_udp_limit(q), 1232u);
  q[q.size() - 8] = 0;
  q[q.size() - 7] = 100;  // below 512 counts as 512
  EXPECT_EQ(dns_udp_limit(q), 512u);
  q.pop_back();  // truncated record
  EXPECT_EQ(dns_udp_limit(q), 512u);
}

TEST(TunDnsFraming, TruncateKeepsQuestionAndSetsTc) {
  Bytes answer = query();
  answer[2] |= 0x80;
  answer[7] = 40;  // ANCOUNT 40, records as filler
  answer.resize(answer.size() + 40 * 16, 0xee);
  Bytes cut = answer;
  truncate_dns_for_udp(cut, 512);
  EXPECT_EQ(cut.size(), 29u);  // header + the example.com question
  EXPECT_TRUE(dns_is_truncated(cut));
  EXPECT_TRUE(dns_is_response(cut));
  EXPECT_EQ(cut[5], 1);
  EXPECT_EQ(cut[7], 0);
  Bytes fits = answer;
  truncate_dns_for_udp(fits, 4096);
  EXPECT_EQ(fits, answer);
  Bytes tiny = answer;
  truncate_dns_for_udp(tiny, 20);
  EXPECT_EQ(tiny.size(), 12u);
  EXPECT_EQ(tiny[5], 0);
}

TEST(TunDnsFraming, ReplyPacket) {
  const Bytes q = query();
  const auto server = Endpoint{IpAddress::v4(10, 0, 0, 1), 53};
  const auto client = Endpoint{IpAddress::v4(10, 0, 0, 2), 5353};
  const auto p = build_dns_reply(server, client, q);
  ASSERT_TRUE(p);
  EXPECT_TRUE(tun_test::checksums_ok(*p, 20, 17));
  const auto r = parse(*p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.packet.udp.source_port, 53);
  EXPECT_EQ(r.packet.udp.destination_port, 5353);
  EXPECT_EQ(Bytes(p->begin() + 28, p->end()), q);
}

}  // namespace

namespace {

using namespace tun;

TEST(TunDnsFraming, ErrorAnswerKeepsIdOpcodeRdAndQuestion) {
  const Bytes q = query();
  const auto a = dns_error_answer(q, dns_rcode_servfail);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(dns_id(*a), dns_id(q));
  EXPECT_TRUE(dns_is_response(*a));
  EXPECT_EQ((*a)[2] & 0x79, q[2] & 0x79);
  EXPECT_EQ((*a)[3], 0x82);  // RA, SERVFAIL
  EXPECT_EQ((*a)[4] << 8 | (*a)[5], q[4] << 8 | q[5]);
  for (std::size_t i = 6; i < 12; ++i) EXPECT_EQ((*a)[i], 0) << i;
  EXPECT_EQ(a->size(), q.size());  // a plain query is header + question
  EXPECT_TRUE(std::equal(a->begin() + 12, a->end(), q.begin() + 12));
}

TEST(TunDnsFraming, ErrorAnswerRefusesAnswersAndBrokenQuestions) {
  Bytes q = query();
  q[2] |= 0x80;
  EXPECT_FALSE(dns_error_answer(q, dns_rcode_servfail).has_value());
  const Bytes whole = query();
  const Bytes cut(whole.begin(), whole.end() - 3);
  EXPECT_FALSE(dns_error_answer(cut, dns_rcode_servfail).has_value());
  EXPECT_FALSE(dns_error_answer(Bytes(5, 0), dns_rcode_servfail).has_value());
}

}  // namespace
