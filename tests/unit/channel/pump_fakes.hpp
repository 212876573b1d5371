#pragma once
// In-memory stand-ins for the two sides of a ChannelPump: the SSH connection (FakeHost records
// what the pump asks of it and takes as much as a window allows) and the local end (FakeEnd
// records writes and completes them when the test says, or at once).
#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "gateway/channel/local_end.hpp"
#include "gateway/core/channel_host.hpp"

namespace gateway::test {

inline std::string text(ssh::ByteView b) {
  return std::string(b.begin(), b.end());
}
inline ssh::Bytes bytes(std::string_view s) {
  return ssh::Bytes(s.begin(), s.end());
}

class FakeHost final : public ChannelHost {
 public:
  std::optional<ssh::ChannelId> open_channel(std::string_view type, ssh::ByteView data, ChannelHandler& h) override {
    if (refuse_opens) return std::nullopt;
    opened_type = std::string(type);
    opened_data = ssh::Bytes(data.begin(), data.end());
    handler = &h;
    return next_id;
  }
  void accept_channel(ssh::ChannelId id, ChannelHandler& h) override {
    accepted = id;
    handler = &h;
  }
  void reject_channel(ssh::ChannelId id, std::uint32_t reason, const std::string&) override {
    rejected.emplace_back(id, reason);
  }
  std::optional<std::uint32_t> channel_request(ssh::ChannelId, std::string_view name, ssh::ByteView,
                                               bool want_reply) override {
    requests.emplace_back(name);
    return want_reply ? ++request_seq : 0;
  }
  std::size_t send(ssh::ChannelId, ssh::ByteView data) override {
    const std::size_t n = std::min(data.size(), capacity);
    sent.append(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    capacity -= n;
    return n;
  }
  void consume(ssh::ChannelId, std::size_t n) override { consumed += n; }
  void send_eof(ssh::ChannelId) override { ++eofs; }
  void close_channel(ssh::ChannelId) override { ++closes; }
  void want_writable(ssh::ChannelId) override { wants_writable = true; }

  bool refuse_opens = false;
  ssh::ChannelId next_id = 7;
  std::string opened_type;
  ssh::Bytes opened_data;
  std::optional<ssh::ChannelId> accepted;
  std::vector<std::pair<ssh::ChannelId, std::uint32_t>> rejected;
  std::vector<std::string> requests;
  std::uint32_t request_seq = 0;
  ChannelHandler* handler = nullptr;
  std::size_t capacity = SIZE_MAX;  // what send() takes from now on
  std::string sent;
  std::size_t consumed = 0;
  int eofs = 0;
  int closes = 0;
  bool wants_writable = false;
};

class FakeEnd final : public LocalEnd {
 public:
  struct Write {
    std::string data;
    Stream stream;
  };

  void bind(LocalEndOwner& owner) override { owner_ = &owner; }
  void read_start() override { reading = true; }
  void read_stop() override { reading = false; }
  void write(std::vector<ssh::Bytes> parts, Stream stream) override {
    Write w{{}, stream};
    for (const auto& p : parts) w.data += text(p);
    writes.push_back(w);
    pending.push_back(w);
    if (complete_writes_at_once) complete_writes();
  }
  void shutdown_output() override { ++shutdowns; }
  bool channel_lost() override {
    ++losses;
    return reports_loss;
  }
  void close() override {
    ++closes;
    if (close_at_once) owner_->on_local_closed();
  }

  // What the local side does.
  void deliver(std::string_view data) { owner_->on_local_data(ssh::as_bytes(data)); }
  void eof() { owner_->on_local_eof(); }
  void error() { owner_->on_local_error("test: local side broke"); }
  void complete_writes() {
    while (!pending.empty()) {
      const Write w = pending.front();
      pending.pop_front();
      owner_->on_local_written(w.stream == Stream::control ? 0 : w.data.size());
    }
  }
  void output_shut() { owner_->on_local_output_shut(); }
  void closed() { owner_->on_local_closed(); }

  std::string written(Stream stream) const {
    std::string out;
    for (const auto& w : writes) {
      if (w.stream == stream) out += w.data;
    }
    return out;
  }

  bool complete_writes_at_once = false;
  bool close_at_once = false;
  bool reading = false;
  std::vector<Write> writes;
  std::deque<Write> pending;
  int shutdowns = 0;
  int closes = 0;
  int losses = 0;
  bool reports_loss = false;  // channel_lost() answers: the end tells its side itself

 private:
  LocalEndOwner* owner_ = nullptr;
};

}  // namespace gateway::test
