#pragma once
// A session's local end with ssh's escape sequences taken out of what the user types: bytes go on
// to the channel, commands (~. ~? ~# ~C ...) to the session. Wraps the real end (the terminal).
#include <functional>
#include <memory>

#include "gateway/channel/local_end.hpp"
#include "gateway/session/escape.hpp"

namespace gateway::session {

class EscapeEnd final : public LocalEnd, private LocalEndOwner {
 public:
  // Returns false when the command ends the session (the rest of the input is dropped).
  using OnCommand = std::function<bool(EscapeCommand command)>;

  EscapeEnd(std::unique_ptr<LocalEnd> inner, int escape_char, OnCommand on_command)
      : inner_(std::move(inner)), filter_(escape_char), on_command_(std::move(on_command)) {}

  const EscapeFilter& filter() const { return filter_; }

  void bind(LocalEndOwner& owner) override {
    owner_ = &owner;
    inner_->bind(*this);
  }
  void read_start() override { inner_->read_start(); }
  void read_stop() override { inner_->read_stop(); }
  void write(std::vector<ssh::Bytes> parts, Stream stream) override { inner_->write(std::move(parts), stream); }
  void shutdown_output() override { inner_->shutdown_output(); }
  void close() override { inner_->close(); }

 private:
  void on_local_data(ssh::ByteView data) override {
    filter_.feed(data, EscapeFilter::Sink{[this](ssh::ByteView bytes) { owner_->on_local_data(bytes); },
                                          [this](EscapeCommand command) { return on_command_(command); }});
  }
  void on_local_eof() override { owner_->on_local_eof(); }
  void on_local_error(const std::string& why) override { owner_->on_local_error(why); }
  void on_local_written(std::size_t credit) override { owner_->on_local_written(credit); }
  void on_local_output_shut() override { owner_->on_local_output_shut(); }
  void on_local_closed() override { owner_->on_local_closed(); }

  std::unique_ptr<LocalEnd> inner_;
  EscapeFilter filter_;
  OnCommand on_command_;
  LocalEndOwner* owner_ = nullptr;
};

}  // namespace gateway::session
