#pragma once
// Server side of one SOCKS4 / SOCKS4a / SOCKS5 client connection, sans-IO (the shape of h11): the
// caller feeds what the socket delivered and gets back a Step: bytes to write to the client now, and
// what happens next (need more bytes, credentials to check, a CONNECT request, or an error).
//
//   ServerCodec codec(config);
//   Step s = codec.feed(bytes);         write s.send to the client first, always, then:
//     need_more    -> keep reading
//     credentials  -> check s.credentials, then s = codec.answer_credentials(ok) and handle that step
//     connect      -> open the channel to s.request; write encode_success / encode_failure(s.request, ..);
//                     codec.take_remaining() holds bytes the client sent after its request
//     error        -> s.send is the exact error reply (may be empty); close after writing it
#include <cstddef>
#include <cstdint>
#include <string>

#include "socks/messages.hpp"
#include "socks/reply.hpp"
#include "socks/request.hpp"
#include "ssh/wire/bytes.hpp"

namespace socks {

enum class AuthMode : std::uint8_t {
  none,               // RFC 1928 METHOD 0x00 only
  username_password,  // RFC 1929 METHOD 0x02 required; "no authentication" is refused, so is SOCKS4
};

struct ServerConfig {
  AuthMode auth = AuthMode::none;
  bool allow_socks4 = true;
  Socks4Limits socks4_limits;
  // Bound on handshake bytes held between calls (only reached while the caller checks credentials and
  // the client keeps sending, or by a client that never completes a message: every message fits in
  // well under 1.1 KiB).
  std::size_t max_handshake_bytes = 4096;
  // Bound on bytes taken in by feed() calls after the request completed and before take_remaining().
  // Data that arrives in the same feed() call as the end of the request is always kept.
  std::size_t max_early_data_bytes = 64 * 1024;
};

struct Step {
  enum class Kind : std::uint8_t { need_more, credentials, connect, error };
  Kind kind = Kind::need_more;
  Bytes send;                 // write to the client before acting on `kind`
  Credentials credentials;    // kind == credentials
  ConnectRequest request;     // kind == connect
  ErrorCode error = ErrorCode::misuse;  // kind == error
};

class ServerCodec {
 public:
  explicit ServerCodec(ServerConfig config = {});

  // Takes bytes from the client. After a connect step, further bytes are kept for take_remaining()
  // (bounded by max_early_data_bytes); while credentials await an answer they are buffered (bounded
  // by max_handshake_bytes). After an error every call returns the same error with nothing to send.
  Step feed(ByteView data);

  // The verdict on the credentials of the last credentials step (RFC 1929 §2 status 0x00 / 0x01).
  // Accepting continues with any request bytes already buffered.
  Step answer_credentials(bool accepted);

  // Bytes the client sent after its request (pipelined application data); empties the store.
  Bytes take_remaining();

  bool finished() const { return stage_ == Stage::done; }
  bool failed() const { return stage_ == Stage::failed; }
  // The SOCKS version seen, once the first byte arrived (for an error reply built by the caller).
  Version version() const { return version_; }

 private:
  enum class Stage : std::uint8_t { first_byte, socks4_request, methods, auth, awaiting_verdict, request, done, failed };

  Step run(Bytes send);
  Step fail(ErrorCode code, Bytes send);
  Bytes error_reply(ErrorCode code) const;
  ByteView unparsed() const { return ByteView(buffer_).subspan(consumed_); }
  void wipe_buffer();

  ServerConfig config_;
  Stage stage_ = Stage::first_byte;
  Version version_ = Version::socks5;
  ErrorCode error_ = ErrorCode::misuse;
  // Handshake bytes may contain a password, so the buffer wipes itself when it lets go of memory.
  ssh::SecretBytes buffer_;
  std::size_t consumed_ = 0;
  Bytes remaining_;
};

}  // namespace socks
