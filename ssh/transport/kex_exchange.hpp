#pragma once
// The client side of one key exchange method's message flow and its exchange hash H
// (RFC 4253 §8, RFC 5656 §4, RFC 8731 §3, RFC 4419 §3, RFC 8268).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ssh/crypto/key_agreement.hpp"
#include "ssh/transport/kex_methods.hpp"
#include "ssh/wire/bytes.hpp"

namespace ssh::transport {

struct KexInputs {
  KexMethod method;
  std::string host_key_algorithm;  // negotiated; the signature over H must use it
  std::string v_c, v_s;            // identification strings without CR LF
  Bytes i_c, i_s;                  // KEXINIT payloads as sent
  std::uint32_t gex_min = 2048, gex_n = 3072, gex_max = 8192;
};

struct KexOutcome {
  Bytes host_key_blob;        // K_S
  Bytes signature;            // the server's signature over H, as received
  SecretBytes exchange_hash;  // H
  SecretBytes shared_secret;  // K, already encoded as an mpint (RFC 4253 §7.2 hashes it that way)
};

class KexExchange {
 public:
  explicit KexExchange(KexInputs inputs);
  ~KexExchange();
  KexExchange(const KexExchange&) = delete;
  KexExchange& operator=(const KexExchange&) = delete;

  enum class Status { need_more, send, done, failed };
  struct Step {
    Status status = Status::need_more;
    Bytes send;         // for Status::send: a payload to transmit
    std::string error;  // for Status::failed
  };

  // The first message: SSH_MSG_KEX(EC)DH_INIT or SSH_MSG_KEX_DH_GEX_REQUEST.
  Step start();
  // A kex-method message (30..49) from the server.
  Step handle(ByteView payload);

  const KexOutcome& outcome() const { return outcome_; }

  // H = HASH(V_C || V_S || I_C || I_S || K_S || [gex group] || client value || server value || K),
  // exposed for tests. `client_value`/`server_value` are already wire-encoded (string or mpint).
  static SecretBytes exchange_hash(const KexInputs& in, ByteView host_key_blob, ByteView gex_group_part,
                                   ByteView client_value, ByteView server_value, ByteView shared_secret_mpint);

 private:
  Step finish(ByteView host_key_blob, ByteView server_value_encoded, ByteView server_value_raw, ByteView signature);
  Step fail(std::string error);

  enum class Phase { start, gex_group, reply, done, failed };
  KexInputs in_;
  Phase phase_ = Phase::start;
  std::unique_ptr<crypto::KeyAgreement> agreement_;
  Bytes client_value_;  // e or Q_C as wire-encoded for the hash
  Bytes gex_group_;     // uint32 min | uint32 n | uint32 max | mpint p | mpint g
  KexOutcome outcome_;
};

}  // namespace ssh::transport
