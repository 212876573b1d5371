#include "ssh/transport/kex_exchange.hpp"

#include "ssh/crypto/hash.hpp"
#include "ssh/crypto/host_key.hpp"
#include "ssh/transport/message_numbers.hpp"
#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::transport {
namespace {

ByteView fixed_group_prime(FixedGroup g) {
  switch (g) {
    case FixedGroup::group14:
      return crypto::modp_group14_prime();
    case FixedGroup::group16:
      return crypto::modp_group16_prime();
    case FixedGroup::group18:
      return crypto::modp_group18_prime();
  }
  return crypto::modp_group14_prime();
}

constexpr std::uint8_t kGeneratorTwo[] = {2};

}  // namespace

KexExchange::KexExchange(KexInputs inputs) : in_(std::move(inputs)) {}
KexExchange::~KexExchange() = default;

KexExchange::Step KexExchange::fail(std::string error) {
  phase_ = Phase::failed;
  agreement_.reset();
  Step s;
  s.status = Status::failed;
  s.error = std::move(error);
  return s;
}

KexExchange::Step KexExchange::start() {
  if (phase_ != Phase::start) return fail("key exchange started twice");
  Step s;
  s.status = Status::send;
  switch (in_.method.family) {
    case KexFamily::ecdh: {
      agreement_ = crypto::make_ecdh(in_.method.curve);
      if (!agreement_) return fail("key agreement unavailable");
      const Bytes q_c = agreement_->public_value();
      client_value_ = wire::Writer().string(ByteView(q_c)).take();
      s.send = wire::Writer(msg::kKexDhInit).string(ByteView(q_c)).take();  // RFC 5656 §4
      phase_ = Phase::reply;
      break;
    }
    case KexFamily::dh_fixed: {
      agreement_ = crypto::make_dh(fixed_group_prime(in_.method.group), ByteView(kGeneratorTwo));
      if (!agreement_) return fail("key agreement unavailable");
      const Bytes e = agreement_->public_value();
      client_value_ = wire::Writer().mpint_unsigned(ByteView(e)).take();
      s.send = wire::Writer(msg::kKexDhInit).mpint_unsigned(ByteView(e)).take();  // RFC 4253 §8
      phase_ = Phase::reply;
      break;
    }
    case KexFamily::dh_gex:
      // RFC 4419 §3: SSH_MSG_KEY_DH_GEX_REQUEST min || n || max.
      s.send = wire::Writer(msg::kKexDhGexRequest).u32(in_.gex_min).u32(in_.gex_n).u32(in_.gex_max).take();
      phase_ = Phase::gex_group;
      break;
  }
  return s;
}

KexExchange::Step KexExchange::handle(ByteView payload) {
  wire::Reader r(payload);
  std::uint8_t type = 0;
  if (!r.u8(type)) return fail("empty key exchange message");
  if (phase_ == Phase::gex_group) {
    ByteView p, g;
    if (type != msg::kKexDhGexGroup) return fail("expected SSH_MSG_KEX_DH_GEX_GROUP");
    if (!r.mpint_unsigned(p) || !r.mpint_unsigned(g)) return fail("malformed SSH_MSG_KEX_DH_GEX_GROUP");
    if (!crypto::dh_group_acceptable(p, g, in_.gex_min, in_.gex_max)) {
      return fail("server's group-exchange group is unacceptable");
    }
    agreement_ = crypto::make_dh(p, g);
    if (!agreement_) return fail("server's group-exchange group is unusable");
    gex_group_ =
        wire::Writer().u32(in_.gex_min).u32(in_.gex_n).u32(in_.gex_max).mpint_unsigned(p).mpint_unsigned(g).take();
    const Bytes e = agreement_->public_value();
    client_value_ = wire::Writer().mpint_unsigned(ByteView(e)).take();
    Step s;
    s.status = Status::send;
    s.send = wire::Writer(msg::kKexDhGexInit).mpint_unsigned(ByteView(e)).take();
    phase_ = Phase::reply;
    return s;
  }
  if (phase_ != Phase::reply) return fail("unexpected key exchange message");
  const std::uint8_t expected = in_.method.family == KexFamily::dh_gex ? msg::kKexDhGexReply : msg::kKexDhReply;
  if (type != expected) return fail("unexpected key exchange message " + std::to_string(type));
  ByteView host_key, server_value, signature;
  bool ok = r.string(host_key);
  if (in_.method.family == KexFamily::ecdh) {
    ok = ok && r.string(server_value);  // Q_S (RFC 5656 §4)
  } else {
    ok = ok && r.mpint_unsigned(server_value);  // f (RFC 4253 §8)
  }
  ok = ok && r.string(signature);
  if (!ok) return fail("malformed key exchange reply");
  const Bytes encoded = in_.method.family == KexFamily::ecdh ? wire::Writer().string(server_value).take()
                                                             : wire::Writer().mpint_unsigned(server_value).take();
  return finish(host_key, encoded, server_value, signature);
}

KexExchange::Step KexExchange::finish(ByteView host_key_blob, ByteView server_value_encoded, ByteView server_value_raw,
                                      ByteView signature) {
  const std::string key_type = crypto::key_blob_type(host_key_blob);
  if (key_type.empty() || !crypto::algorithm_matches_key_type(in_.host_key_algorithm, key_type)) {
    return fail("server host key type '" + key_type + "' does not match negotiated " + in_.host_key_algorithm);
  }
  auto k = agreement_->shared_secret(server_value_raw);
  agreement_.reset();
  if (!k) return fail("server's key exchange value is invalid");
  SecretBytes k_mpint = wire::SecretWriter().mpint_unsigned(ByteView(*k)).take();
  SecretBytes h = exchange_hash(in_, host_key_blob, gex_group_, client_value_, server_value_encoded, k_mpint);
  // RFC 4253 §8: the server signs H with its host key.
  if (!crypto::verify_signature(in_.host_key_algorithm, host_key_blob, signature, h)) {
    return fail("server's host key signature over the exchange hash is invalid");
  }
  outcome_.host_key_blob.assign(host_key_blob.begin(), host_key_blob.end());
  outcome_.signature.assign(signature.begin(), signature.end());
  outcome_.exchange_hash = std::move(h);
  outcome_.shared_secret = std::move(k_mpint);
  phase_ = Phase::done;
  Step s;
  s.status = Status::done;
  return s;
}

SecretBytes KexExchange::exchange_hash(const KexInputs& in, ByteView host_key_blob, ByteView gex_group_part,
                                       ByteView client_value, ByteView server_value, ByteView shared_secret_mpint) {
  wire::SecretWriter w;
  w.string(std::string_view(in.v_c)).string(std::string_view(in.v_s));
  w.string(ByteView(in.i_c)).string(ByteView(in.i_s));
  w.string(host_key_blob);
  w.raw(gex_group_part).raw(client_value).raw(server_value).raw(shared_secret_mpint);
  return crypto::digest(in.method.hash, ByteView(w.data()));
}

}  // namespace ssh::transport
