#pragma once
// Per-channel EOF/CLOSE bookkeeping (RFC 4254 §5.3), one small state per direction in the manner
// of OpenSSH's nchan: our output goes open -> eof_sent -> close_sent, our input goes
// open -> eof_received -> close_received (EOF is optional in both). The channel is finished, and
// its id reusable, once CLOSE has gone both ways.
#include <cstdint>

namespace ssh::connection {

class HalfClose {
 public:
  enum class Output : std::uint8_t { open, eof_sent, close_sent };
  enum class Input : std::uint8_t { open, eof_received, close_received };

  Output output() const { return out_; }
  Input input() const { return in_; }

  // Data may still be sent (nothing after EOF or CLOSE, RFC 4254 §5.3).
  bool can_send() const { return out_ == Output::open; }
  // Data from the peer is still meaningful: not after its EOF, nor after our CLOSE (the peer may
  // not have seen it yet, so such data is dropped rather than treated as an error).
  bool accepts_data() const { return in_ == Input::open && out_ != Output::close_sent; }
  // Any message from us on this channel is still allowed.
  bool may_send_anything() const { return out_ != Output::close_sent; }

  // Each returns true when the caller must now send the corresponding message.
  bool local_eof() {
    if (out_ != Output::open) return false;
    out_ = Output::eof_sent;
    return true;
  }
  bool local_close() {
    if (out_ == Output::close_sent) return false;
    out_ = Output::close_sent;
    return true;
  }
  // Returns false for an EOF that changes nothing (duplicate, or after CLOSE).
  bool remote_eof() {
    if (in_ != Input::open) return false;
    in_ = Input::eof_received;
    return true;
  }
  void remote_close() { in_ = Input::close_received; }

  // Both EOFs exchanged: nothing more will flow either way, so we close (RFC 4254 §5.3 lets
  // either side close once it is done).
  bool both_eof() const { return out_ == Output::eof_sent && in_ == Input::eof_received; }
  bool finished() const { return out_ == Output::close_sent && in_ == Input::close_received; }

 private:
  Output out_ = Output::open;
  Input in_ = Input::open;
};

}  // namespace ssh::connection
