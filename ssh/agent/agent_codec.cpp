#include "ssh/agent/agent_codec.hpp"

#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::agent {
namespace {

// Frames a message body with its uint32 length (draft-miller-ssh-agent §3).
Bytes frame(const Bytes& body) {
  wire::Writer w;
  w.string(ByteView(body));
  return w.take();
}

}  // namespace

Bytes encode_session_bind(ByteView host_key, ByteView session_id, ByteView signature, bool forwarding) {
  wire::Writer w(kExtension);
  w.string(std::string_view("session-bind@openssh.com")).string(host_key).string(session_id).string(signature);
  w.boolean(forwarding);
  return frame(w.data());
}

namespace {

DecodeResult fail(std::string message) {
  DecodeResult r;
  r.error = std::move(message);
  return r;
}

DecodeResult decode_identities(wire::Reader& reader) {
  std::uint32_t count = 0;
  if (!reader.u32(count)) return fail("identities answer: truncated key count");
  // Each identity takes at least two empty strings (8 bytes); a larger count is a lie that would make
  // us reserve memory for nothing.
  if (count > reader.remaining() / 8) return fail("identities answer: key count exceeds message size");
  IdentitiesAnswer answer;
  answer.identities.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    ByteView blob;
    std::string comment;
    if (!reader.string(blob) || !reader.string(comment)) return fail("identities answer: truncated identity");
    if (blob.empty()) return fail("identities answer: empty key blob");
    answer.identities.push_back({Bytes(blob.begin(), blob.end()), std::move(comment)});
  }
  if (!reader.empty()) return fail("identities answer: trailing bytes");
  DecodeResult r;
  r.ok = true;
  r.response = std::move(answer);
  return r;
}

}  // namespace

Bytes encode_request_identities() {
  return frame(wire::Writer(kRequestIdentities).take());
}

Bytes encode_sign_request(ByteView key_blob, ByteView data, std::uint32_t flags) {
  wire::Writer body(kSignRequest);
  body.string(key_blob).string(data).u32(flags);
  return frame(body.data());
}

SecretBytes encode_add_identity(ByteView private_key, std::string_view comment, const KeyConstraints& constraints) {
  const bool constrained = constraints.lifetime_seconds != 0 || constraints.confirm;
  wire::SecretWriter body(constrained ? kAddIdConstrained : kAddIdentity);
  body.raw(private_key).string(comment);
  if (constraints.lifetime_seconds != 0) body.u8(kConstrainLifetime).u32(constraints.lifetime_seconds);
  if (constraints.confirm) body.u8(kConstrainConfirm);
  wire::SecretWriter framed;
  framed.string(ByteView(body.data()));
  return framed.take();
}

std::uint32_t sign_flags_for_algorithm(std::string_view algorithm) {
  if (algorithm == "rsa-sha2-256") return kRsaSha2_256;
  if (algorithm == "rsa-sha2-512") return kRsaSha2_512;
  return 0;
}

DecodeResult decode_response(ByteView body) {
  wire::Reader reader(body);
  std::uint8_t type = 0;
  if (!reader.u8(type)) return fail("empty agent message");
  switch (type) {
    case kIdentitiesAnswer:
      return decode_identities(reader);
    case kSignResponse: {
      ByteView signature;
      if (!reader.string(signature)) return fail("sign response: truncated signature");
      if (!reader.empty()) return fail("sign response: trailing bytes");
      if (signature.empty()) return fail("sign response: empty signature");
      DecodeResult r;
      r.ok = true;
      r.response = SignResponse{Bytes(signature.begin(), signature.end())};
      return r;
    }
    case kFailure:
    case kExtensionFailure: {
      DecodeResult r;
      r.ok = true;
      r.response = Failure{};
      return r;
    }
    case kSuccess: {
      DecodeResult r;
      r.ok = true;
      r.response = Success{};
      return r;
    }
    default:
      return fail("unexpected agent message type " + std::to_string(type));
  }
}

}  // namespace ssh::agent
