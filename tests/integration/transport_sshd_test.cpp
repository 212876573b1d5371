// ssh::transport::Transport against a real OpenSSH sshd on loopback: every kex method, cipher, MAC
// and host key algorithm forced one at a time; keys proven in both directions with a service
// request before and after a client-initiated re-key.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ssh/crypto/host_key.hpp"
#include "ssh/keys/private_key.hpp"
#include "ssh/transport/algorithms.hpp"
#include "ssh/transport/transport.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"
#include "support_transport_sshd.hpp"

namespace {

using namespace std::chrono_literals;
using ssh::transport::AlgorithmKind;
using ssh::transport::Transport;
using ssh::transport::TransportConfig;
namespace tevent = ssh::transport::tevent;

struct Case {
  std::string label;
  std::vector<std::string> sshd_options;
  std::string host_key_file;
  // Expected negotiation result (empty: not checked).
  std::string kex, host_key, cipher, mac;
};

// Everything we implement, so the server's single forced choice decides.
TransportConfig all_supported() {
  TransportConfig c;
  c.algorithms.kex = ssh::transport::supported_algorithms(AlgorithmKind::kex);
  c.algorithms.host_key = ssh::transport::supported_algorithms(AlgorithmKind::host_key);
  c.algorithms.ciphers = ssh::transport::supported_algorithms(AlgorithmKind::cipher);
  c.algorithms.macs = ssh::transport::supported_algorithms(AlgorithmKind::mac);
  c.handshake_timeout = 20000ms;
  return c;
}

struct Session {
  Transport& t;
  transport_sshd::Pump& pump;
  std::vector<tevent::KexComplete> completions;
  std::string host_key_algorithm;
  ssh::Bytes host_key_blob;
  std::string failure;

  void drain_events() {
    while (auto ev = t.poll_event()) {
      if (auto* hk = std::get_if<tevent::HostKey>(&*ev)) {
        host_key_algorithm = hk->algorithm;
        host_key_blob = hk->key_blob;
        const bool matches =
            ssh::crypto::algorithm_matches_key_type(hk->algorithm, ssh::crypto::key_blob_type(hk->key_blob));
        t.host_key_verdict(matches);
      } else if (auto* kc = std::get_if<tevent::KexComplete>(&*ev)) {
        completions.push_back(*kc);
      } else if (auto* d = std::get_if<tevent::Disconnected>(&*ev)) {
        failure = "disconnected (" + std::to_string(d->reason) + "): " + d->description;
      }
    }
  }

  template <typename Pred>
  bool run_until(Pred done, std::chrono::seconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      drain_events();
      if (!failure.empty()) return false;
      if (done()) return true;
      if (!pump.step(t, 50ms)) {
        drain_events();
        if (failure.empty()) failure = "connection closed by the server";
        return false;
      }
    }
    failure = "timed out";
    return false;
  }

  // Waits for an upper-layer message of one of `types`, dropping others (hostkeys-00 requests).
  bool expect_payload(std::initializer_list<std::uint8_t> types, ssh::Bytes& out) {
    bool got = false;
    return run_until([&] {
      while (!got) {
        auto p = t.poll_payload();
        if (!p) break;
        for (auto ty : types) {
          if (!p->payload.empty() && p->payload[0] == ty) {
            out = p->payload;
            got = true;
          }
        }
      }
      return got;
    });
  }

  // publickey authentication as root with the test's ed25519 user key (RFC 4252 §7): a re-key
  // can only be tested after authentication, since sshd ignores KEXINIT while authenticating.
  bool authenticate() {
    std::ifstream in(transport_sshd::host_keys().user_key, std::ios::binary);
    const ssh::Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto key = ssh::keys::load_private_key(file, "");
    if (!key.signer) {
      failure = "cannot load user key: " + key.message;
      return false;
    }
    const ssh::Bytes blob = key.signer->public_blob();
    const std::string alg = "ssh-ed25519";
    ssh::wire::Writer body;
    body.string("root")
        .string("ssh-connection")
        .string("publickey")
        .boolean(true)
        .string(alg)
        .string(ssh::ByteView(blob));
    ssh::wire::Writer signed_data;
    signed_data.string(t.session_id()).u8(50).raw(body.data());
    auto sig = key.signer->sign(alg, signed_data.data());
    if (!sig) {
      failure = "signing failed";
      return false;
    }
    ssh::wire::Writer request(50);
    request.raw(body.data()).string(ssh::ByteView(*sig));
    if (!t.send_payload(request.take())) {
      failure = "send_payload refused";
      return false;
    }
    ssh::Bytes reply;
    if (!expect_payload({51, 52}, reply)) return false;
    if (reply[0] != 52) failure = "publickey authentication failed";
    return reply[0] == 52;
  }

  // GLOBAL_REQUEST keepalive@openssh.com with want-reply: sshd answers REQUEST_FAILURE
  // (RFC 4254 §4), which proves both directions of the current keys after authentication.
  bool global_request_round_trip() {
    if (!t.send_payload(ssh::wire::Writer(80).string("keepalive@openssh.com").boolean(true).take())) {
      failure = "send_payload refused";
      return false;
    }
    ssh::Bytes reply;
    return expect_payload({81, 82}, reply);
  }

  // SERVICE_REQUEST "ssh-userauth" must be answered by SERVICE_ACCEPT (RFC 4253 §10): the server
  // decrypted our packet and we decrypted its answer.
  bool service_round_trip() {
    if (!t.send_payload(ssh::wire::Writer(5).string("ssh-userauth").take())) {
      failure = "send_payload refused";
      return false;
    }
    bool accepted = false;
    return run_until([&] {
      while (auto p = t.poll_payload()) {
        ssh::wire::Reader r(p->payload);
        std::uint8_t type = 0;
        std::string service;
        if (r.u8(type) && type == 6 && r.string(service) && service == "ssh-userauth") accepted = true;
      }
      return accepted;
    });
  }
};

void run_case(const Case& c) {
  const std::string why = transport_sshd::unavailable_reason();
  if (!why.empty()) GTEST_SKIP() << why;
  transport_sshd::Sshd sshd({c.host_key_file}, c.sshd_options);
  ASSERT_TRUE(sshd.ok()) << "sshd did not start: " << sshd.log();
  transport_sshd::Pump pump(sshd.port());
  ASSERT_TRUE(pump.connected());
  Transport t(all_supported(), ssh::transport::Clock::now());
  Session s{t, pump, {}, {}, {}, {}};

  ASSERT_TRUE(s.run_until([&] { return !s.completions.empty(); })) << c.label << ": " << s.failure << "\n"
                                                                   << sshd.log();
  const tevent::KexComplete first = s.completions.front();
  EXPECT_TRUE(first.initial);
  EXPECT_TRUE(t.is_established());
  EXPECT_TRUE(first.algorithms.strict_kex) << "OpenSSH 9.2 offers strict KEX";
  if (!c.kex.empty()) {
    EXPECT_EQ(first.algorithms.kex, c.kex);
  }
  if (!c.host_key.empty()) {
    EXPECT_EQ(first.algorithms.host_key, c.host_key);
    EXPECT_EQ(s.host_key_algorithm, c.host_key);
  }
  if (!c.cipher.empty()) {
    EXPECT_EQ(first.algorithms.cipher_c2s, c.cipher);
    EXPECT_EQ(first.algorithms.cipher_s2c, c.cipher);
  }
  if (!c.mac.empty()) {
    EXPECT_EQ(first.algorithms.mac_c2s, c.mac);
    EXPECT_EQ(first.algorithms.mac_s2c, c.mac);
  }
  EXPECT_FALSE(t.session_id().empty());
  const ssh::Bytes session_id(t.session_id().begin(), t.session_id().end());

  ASSERT_TRUE(s.service_round_trip()) << c.label << ": " << s.failure << "\n" << sshd.log();
  // ext-info arrived right after the server's NEWKEYS (RFC 8308 §2.4).
  EXPECT_FALSE(t.server_sig_algs().empty());

  ASSERT_TRUE(s.authenticate()) << c.label << ": " << s.failure << "\n" << sshd.log();

  t.request_rekey();
  EXPECT_TRUE(t.is_kex_in_progress());
  // Queued while the re-key runs, sent after our NEWKEYS.
  ASSERT_TRUE(s.global_request_round_trip()) << c.label << " during re-key: " << s.failure << "\n" << sshd.log();
  ASSERT_TRUE(s.run_until([&] { return s.completions.size() >= 2; })) << c.label << " re-key: " << s.failure << "\n"
                                                                      << sshd.log();
  EXPECT_FALSE(s.completions[1].initial);
  EXPECT_EQ(s.completions[1].algorithms.kex, first.algorithms.kex);
  EXPECT_EQ(s.completions[1].algorithms.cipher_c2s, first.algorithms.cipher_c2s);
  // The session identifier stays the first exchange's H (RFC 4253 §7.2).
  EXPECT_EQ(ssh::Bytes(t.session_id().begin(), t.session_id().end()), session_id);
  ASSERT_TRUE(s.global_request_round_trip()) << c.label << " after re-key: " << s.failure << "\n" << sshd.log();
  EXPECT_GT(t.bytes_sent(), 0u);
  EXPECT_GT(t.bytes_received(), 0u);
}

std::vector<Case> kex_cases() {
  std::vector<Case> out;
  for (const auto& k : ssh::transport::supported_algorithms(AlgorithmKind::kex)) {
    out.push_back({"kex " + k, {"KexAlgorithms=" + k}, "ed25519", k, "", "", ""});
  }
  return out;
}

std::vector<Case> cipher_cases() {
  std::vector<Case> out;
  for (const auto& c : ssh::transport::supported_algorithms(AlgorithmKind::cipher)) {
    out.push_back({"cipher " + c, {"Ciphers=" + c}, "ed25519", "", "", c, ""});
  }
  return out;
}

std::vector<Case> mac_cases() {
  std::vector<Case> out;
  // A non-AEAD cipher so the MAC is actually used.
  for (const auto& m : ssh::transport::supported_algorithms(AlgorithmKind::mac)) {
    out.push_back({"mac " + m, {"Ciphers=aes128-ctr", "MACs=" + m}, "ed25519", "", "", "aes128-ctr", m});
  }
  return out;
}

std::vector<Case> host_key_cases() {
  return {
      {"host key ssh-ed25519", {"HostKeyAlgorithms=ssh-ed25519"}, "ed25519", "", "ssh-ed25519", "", ""},
      {"host key ecdsa-sha2-nistp256",
       {"HostKeyAlgorithms=ecdsa-sha2-nistp256"},
       "ecdsa256",
       "",
       "ecdsa-sha2-nistp256",
       "",
       ""},
      {"host key ecdsa-sha2-nistp384",
       {"HostKeyAlgorithms=ecdsa-sha2-nistp384"},
       "ecdsa384",
       "",
       "ecdsa-sha2-nistp384",
       "",
       ""},
      {"host key ecdsa-sha2-nistp521",
       {"HostKeyAlgorithms=ecdsa-sha2-nistp521"},
       "ecdsa521",
       "",
       "ecdsa-sha2-nistp521",
       "",
       ""},
      {"host key rsa-sha2-512", {"HostKeyAlgorithms=rsa-sha2-512"}, "rsa", "", "rsa-sha2-512", "", ""},
      {"host key rsa-sha2-256", {"HostKeyAlgorithms=rsa-sha2-256"}, "rsa", "", "rsa-sha2-256", "", ""},
      {"host key ssh-rsa", {"HostKeyAlgorithms=ssh-rsa"}, "rsa", "", "ssh-rsa", "", ""},
  };
}

std::string key_file(const std::string& which) {
  const auto& k = transport_sshd::host_keys();
  if (which == "ecdsa256") return k.ecdsa256;
  if (which == "ecdsa384") return k.ecdsa384;
  if (which == "ecdsa521") return k.ecdsa521;
  if (which == "rsa") return k.rsa;
  return k.ed25519;
}

class TransportSshd : public ::testing::TestWithParam<Case> {};

TEST_P(TransportSshd, HandshakeServiceRequestAndRekey) {
  Case c = GetParam();
  if (transport_sshd::unavailable_reason().empty()) c.host_key_file = key_file(c.host_key_file);
  run_case(c);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string n;
  for (char ch : info.param.label) n += (std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  return n;
}

INSTANTIATE_TEST_SUITE_P(Kex, TransportSshd, ::testing::ValuesIn(kex_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Cipher, TransportSshd, ::testing::ValuesIn(cipher_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Mac, TransportSshd, ::testing::ValuesIn(mac_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(HostKey, TransportSshd, ::testing::ValuesIn(host_key_cases()), case_name);

// The server starts the re-key (RekeyLimit after 1 KiB): the transport must answer with its own
// KEXINIT and keep working.
TEST(TransportSshdRekey, ServerInitiatedRekey) {
  const std::string why = transport_sshd::unavailable_reason();
  if (!why.empty()) GTEST_SKIP() << why;
  transport_sshd::Sshd sshd({transport_sshd::host_keys().ed25519}, {"RekeyLimit=1K"});
  ASSERT_TRUE(sshd.ok()) << sshd.log();
  transport_sshd::Pump pump(sshd.port());
  ASSERT_TRUE(pump.connected());
  Transport t(all_supported(), ssh::transport::Clock::now());
  Session s{t, pump, {}, {}, {}, {}};
  ASSERT_TRUE(s.service_round_trip()) << s.failure << "\n" << sshd.log();
  ASSERT_TRUE(s.authenticate()) << s.failure << "\n" << sshd.log();
  for (int i = 0; i < 200 && s.completions.size() < 3; ++i) {
    ASSERT_TRUE(s.global_request_round_trip()) << s.failure << "\n" << sshd.log();
  }
  ASSERT_GE(s.completions.size(), 3u) << sshd.log();
  EXPECT_FALSE(s.completions[1].initial);
  EXPECT_FALSE(s.completions[2].initial);
  ASSERT_TRUE(s.global_request_round_trip()) << s.failure << "\n" << sshd.log();
}

}  // namespace
