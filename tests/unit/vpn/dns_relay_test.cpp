// DnsRelay without a server: a pool that never connects. Malformed datagrams are dropped and
// counted, queries beyond max_pending and queries that find no connection are answered SERVFAIL
// (from the address the client asked, with the client's id and question), later ones fail fast
// during the retry delay, and close() leaves no handle behind. The relay's channel work against a
// real sshd and resolver is in tests/integration/vpn_dns_test.cpp.
#include "gateway/vpn/dns_relay.hpp"

#include <gtest/gtest.h>

#include "tun/builder.hpp"
#include "tun/packet.hpp"
#include "unit/tun/sample_packets.hpp"

namespace gateway::vpn {
namespace {

using namespace std::chrono_literals;

struct NoObserver final : UpstreamObserver {
  void on_session_up(SshSession&) override {}
  void on_session_down(SshSession&) override {}
  void on_upstream_failed(const std::string&) override {}
  bool session_in_use(SshSession&) override { return false; }
};

// The A query for example.com of the samples: 10.0.0.2:5353 -> 10.0.0.1:53, id 0xabcd.
const std::vector<std::uint8_t>& sample_query() {
  return tun_test::v4_udp_dns;
}

class DnsRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    resolver_ = std::make_unique<net::Resolver>(&loop_);
    upstream_ = std::make_unique<Upstream>(&loop_, *resolver_, UpstreamSettings{}, observer_);
  }
  void TearDown() override {
    relay_.reset();
    upstream_.reset();
    resolver_->close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "libuv handles left open";
  }
  DnsRelay& make(DnsRelay::Settings settings) {
    relay_ = std::make_unique<DnsRelay>(&loop_, *upstream_, settings,
                                        [this](ssh::Bytes packet) { sent_.push_back(std::move(packet)); });
    return *relay_;
  }
  void query(const std::vector<std::uint8_t>& packet) {
    const auto parsed = tun::parse(packet);
    ASSERT_TRUE(parsed.ok());
    relay_->on_query(packet, parsed.packet);
  }
  void run_for(std::chrono::milliseconds ms) {
    uv_timer_t t;
    uv_timer_init(&loop_, &t);
    uv_timer_start(
        &t, [](uv_timer_t* h) { uv_stop(h->loop); }, static_cast<std::uint64_t>(ms.count()), 0);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  // Checks one sent packet is the SERVFAIL answer to the sample query.
  void expect_servfail(const ssh::Bytes& packet) {
    const auto parsed = tun::parse(packet);
    ASSERT_TRUE(parsed.ok());
    const auto& q = tun::parse(sample_query()).packet;
    EXPECT_EQ(parsed.packet.source, q.destination);
    EXPECT_EQ(parsed.packet.destination, q.source);
    EXPECT_EQ(parsed.packet.udp.source_port, 53);
    EXPECT_EQ(parsed.packet.udp.destination_port, q.udp.source_port);
    const std::span<const std::uint8_t> dns(packet.data() + parsed.packet.payload_offset, parsed.packet.payload_size());
    EXPECT_EQ(tun::dns_id(dns), 0xabcd);
    EXPECT_TRUE(tun::dns_is_response(dns));
    EXPECT_EQ(dns[3] & 0x0f, tun::dns_rcode_servfail);
  }

  uv_loop_t loop_{};
  std::unique_ptr<net::Resolver> resolver_;
  NoObserver observer_;
  std::unique_ptr<Upstream> upstream_;
  std::unique_ptr<DnsRelay> relay_;
  std::vector<ssh::Bytes> sent_;
};

TEST_F(DnsRelayTest, MalformedDatagramsAreDroppedAndCounted) {
  auto& relay = make({.resolver = tun::Endpoint{tun::IpAddress::v4(192, 0, 2, 53), 53}});
  // Too short for a DNS header.
  const auto tiny = tun::build_udp({tun::IpAddress::v4(10, 0, 0, 1), 4000}, {tun::IpAddress::v4(10, 0, 0, 53), 53},
                                   std::vector<std::uint8_t>(5, 0));
  ASSERT_TRUE(tiny);
  query(*tiny);
  // An answer, not a query.
  auto answer = sample_query();
  const auto parsed = tun::parse(answer).packet;
  std::vector<std::uint8_t> payload(answer.begin() + static_cast<std::ptrdiff_t>(parsed.payload_offset), answer.end());
  payload[2] |= 0x80;
  const auto response = tun::build_udp({parsed.source, 4000}, {parsed.destination, 53}, payload);
  query(*response);
  // Not UDP at all.
  query(tun_test::v4_tcp_syn);
  EXPECT_EQ(relay.counters().malformed, 3u);
  EXPECT_EQ(relay.counters().queries, 0u);
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(relay.in_flight(), 0u);
}

TEST_F(DnsRelayTest, NoConnectionAnswersServfailThenFailsFast) {
  auto& relay = make({.resolver = tun::Endpoint{tun::IpAddress::v4(192, 0, 2, 53), 53},
                      .query_timeout = 100ms,
                      .open_retry_delay = 10000ms});
  query(sample_query());
  EXPECT_EQ(relay.in_flight(), 1u);
  EXPECT_TRUE(sent_.empty());
  run_for(400ms);  // the wait for a connection gives up after query_timeout
  ASSERT_EQ(sent_.size(), 1u);
  expect_servfail(sent_[0]);
  // Within the retry delay the next query is answered at once.
  query(sample_query());
  ASSERT_EQ(sent_.size(), 2u);
  expect_servfail(sent_[1]);
  EXPECT_EQ(relay.counters().queries, 2u);
  EXPECT_GE(relay.counters().failures + relay.counters().timeouts, 2u);
  EXPECT_EQ(relay.in_flight(), 0u);
}

TEST_F(DnsRelayTest, BeyondMaxPendingIsServfailAtOnce) {
  auto& relay = make({.resolver = tun::Endpoint{tun::IpAddress::v4(192, 0, 2, 53), 53}, .max_pending = 2});
  query(sample_query());
  query(sample_query());
  EXPECT_TRUE(sent_.empty());
  query(sample_query());
  ASSERT_EQ(sent_.size(), 1u);
  expect_servfail(sent_[0]);
  EXPECT_EQ(relay.in_flight(), 2u);
  EXPECT_EQ(relay.counters().failures, 1u);
}

TEST_F(DnsRelayTest, CloseDropsPendingQueries) {
  auto& relay = make({});  // the server's resolver: a fetch starts, and waits for a connection
  query(sample_query());
  EXPECT_EQ(relay.in_flight(), 1u);
  EXPECT_FALSE(relay.resolver().has_value());
  relay.close();
  relay.close();
  EXPECT_EQ(relay.in_flight(), 0u);
  query(sample_query());
  EXPECT_EQ(relay.in_flight(), 0u);
  EXPECT_TRUE(sent_.empty());
}

}  // namespace
}  // namespace gateway::vpn
