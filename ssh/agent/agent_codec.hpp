#pragma once
// ssh-agent client protocol codec, sans-IO (draft-miller-ssh-agent; OpenSSH PROTOCOL.agent).
// Every message is framed as uint32 length | byte type | contents. The gateway writes the encoded
// requests to the agent socket and feeds what it reads to a FrameDecoder, then decodes each frame.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ssh/wire/bytes.hpp"
#include "ssh/wire/frame_decoder.hpp"

namespace ssh::agent {

// Message numbers (draft-miller-ssh-agent §6.1).
inline constexpr std::uint8_t kFailure = 5;
inline constexpr std::uint8_t kSuccess = 6;
inline constexpr std::uint8_t kRequestIdentities = 11;
inline constexpr std::uint8_t kIdentitiesAnswer = 12;
inline constexpr std::uint8_t kSignRequest = 13;
inline constexpr std::uint8_t kSignResponse = 14;
inline constexpr std::uint8_t kAddIdentity = 17;
inline constexpr std::uint8_t kAddIdConstrained = 25;
inline constexpr std::uint8_t kExtension = 27;
inline constexpr std::uint8_t kExtensionFailure = 28;

// Signature flags for SSH_AGENTC_SIGN_REQUEST (draft-miller-ssh-agent §6.6.1): which RSA hash.
inline constexpr std::uint32_t kRsaSha2_256 = 2;
inline constexpr std::uint32_t kRsaSha2_512 = 4;

// Key constraints of SSH2_AGENTC_ADD_ID_CONSTRAINED (draft-miller-ssh-agent §4.2.6.1/2).
inline constexpr std::uint8_t kConstrainLifetime = 1;
inline constexpr std::uint8_t kConstrainConfirm = 2;

// OpenSSH's agent refuses messages above 256 KiB; an answer larger than that is not credible.
inline constexpr std::size_t kDefaultMaxFrame = 256 * 1024;

// Encoded frames (length prefix included), ready to write to the agent socket.
Bytes encode_request_identities();
Bytes encode_sign_request(ByteView key_blob, ByteView data, std::uint32_t flags);

// What an added key is constrained by: a lifetime in seconds (0: none) and whether each use needs
// the user's confirmation.
struct KeyConstraints {
  std::uint32_t lifetime_seconds = 0;
  bool confirm = false;
};

// SSH2_AGENTC_ADD_IDENTITY (byte 17 | key | string comment) when `constraints` asks for nothing,
// otherwise SSH2_AGENTC_ADD_ID_CONSTRAINED (byte 25 | key | string comment | constraints), the
// lifetime (byte 1 | uint32 seconds) before confirm (byte 2), as ssh and ssh-add send them.
// `private_key` is the key in the agent's encoding (ssh/keys/agent_key_encoding.hpp); the frame
// holds it too, so it comes back as SecretBytes. The agent answers SSH_AGENT_SUCCESS or FAILURE.
SecretBytes encode_add_identity(ByteView private_key, std::string_view comment, const KeyConstraints& constraints);

// The flags for a signature algorithm: rsa-sha2-256 -> kRsaSha2_256, rsa-sha2-512 -> kRsaSha2_512,
// anything else 0.
std::uint32_t sign_flags_for_algorithm(std::string_view algorithm);

// session-bind@openssh.com (PROTOCOL.agent §1): binds the agent connection to one SSH connection,
// by the server's host key, the session identifier and the server's signature over it from the
// first key exchange; `forwarding` when the agent is reached through that connection (-A).
Bytes encode_session_bind(ByteView host_key, ByteView session_id, ByteView signature, bool forwarding);

// Incremental deframer: bytes in, whole message bodies (type byte + contents) out.
class FrameDecoder : public wire::FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame = kDefaultMaxFrame) : wire::FrameDecoder("agent", max_frame) {}
};

struct Identity {
  Bytes key_blob;
  std::string comment;
};

struct IdentitiesAnswer {
  std::vector<Identity> identities;
};
struct SignResponse {
  Bytes signature;  // SSH signature blob: string algorithm | string signature
};
struct Failure {};  // SSH_AGENT_FAILURE or SSH_AGENT_EXTENSION_FAILURE
struct Success {};

using Response = std::variant<IdentitiesAnswer, SignResponse, Failure, Success>;

struct DecodeResult {
  bool ok = false;
  Response response;
  std::string error;  // !ok: what was wrong with the message
};

// Decodes one frame body as returned by FrameDecoder::next(). Strict: trailing bytes, truncated
// fields and unknown message types are errors.
DecodeResult decode_response(ByteView body);

}  // namespace ssh::agent
