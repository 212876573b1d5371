// Servers for the load tests, sized for thousands of connections: an epoll echo server and a
// "source" that sends a fixed amount of seeded pseudo-random data to every client as fast as the
// client takes it. Both run one background thread and listen with a large backlog, so bursts of
// thousands of connects (e.g. sshd opening 5,000 direct-tcpip targets) are not dropped.
//
// The listening socket is created in the network namespace of the calling thread, so a test can
// start one inside a namespace (see netns.hpp) and every accepted connection lives there too.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

#include "support/net.hpp"

namespace testsupport {

// Deterministic byte stream (xorshift64*): what SourceServer sends, so a reader can verify it.
class PatternStream {
 public:
  explicit PatternStream(std::uint64_t seed) : state_(seed | 1) {}
  void fill(std::uint8_t* p, std::size_t n);
  // Compares the next n bytes of the stream with p; advances either way.
  bool matches(const std::uint8_t* p, std::size_t n);

 private:
  std::uint64_t next_word();
  std::uint64_t state_;
  std::uint64_t word_ = 0;
  int left_ = 0;
};

// Common part: bind 127.0.0.1:0 (or the given IPv4 address), a listen backlog of 4096, an epoll loop
// on a thread, stop() from the destructor.
class EpollServer {
 public:
  EpollServer() = default;
  virtual ~EpollServer();
  EpollServer(const EpollServer&) = delete;
  EpollServer& operator=(const EpollServer&) = delete;
  EpollServer(EpollServer&&) = delete;
  EpollServer& operator=(EpollServer&&) = delete;

  // Listens on address:0 ("127.0.0.1" by default); false (with error()) on failure.
  bool start(const std::string& ipv4_address = "127.0.0.1");
  void stop();

  Endpoint endpoint() const { return Endpoint::tcp(port_); }
  int port() const { return port_; }
  const std::string& error() const { return error_; }
  std::size_t connections_accepted() const { return accepted_.load(); }
  std::size_t connections_open() const { return open_.load(); }
  std::size_t peak_connections_open() const { return peak_open_.load(); }
  std::uint64_t bytes_sent() const { return bytes_sent_.load(); }

 protected:
  struct Conn;
  // A new connection was accepted: initialise per-connection state.
  virtual void on_accept(Conn& c) = 0;
  // The connection is readable/writable: move data; return false to close it.
  virtual bool on_ready(Conn& c, bool readable, bool writable) = 0;
  // Which events the connection wants now.
  virtual std::uint32_t interest(const Conn& c) const = 0;

  struct Conn {
    int fd = -1;
    std::string pending;          // echo: read but not yet written
    bool peer_eof = false;        // echo: peer half-closed
    std::uint64_t left = 0;       // source: bytes not yet generated
    PatternStream pattern{0};        // source: the stream being sent
    std::size_t pending_off = 0;     // source: sent part of pending
    std::uint32_t events = 0;     // what epoll currently watches
  };

  std::atomic<std::uint64_t> bytes_sent_{0};

 private:
  void loop();
  void close_conn(Conn* c);

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd
  int port_ = 0;
  std::string error_;
  std::thread thread_;
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> peak_open_{0};
};

// Echoes every byte; on the peer's half-close, flushes and closes. A connection whose peer does not
// read has at most 1 MiB buffered before it stops being read.
class BulkEchoServer final : public EpollServer {
 public:
  ~BulkEchoServer() override { stop(); }

 protected:
  void on_accept(Conn& c) override;
  bool on_ready(Conn& c, bool readable, bool writable) override;
  std::uint32_t interest(const Conn& c) const override;
};

// Sends `bytes_per_connection` bytes of PatternStream(seed) to every client, then closes; what the
// client sends is read and dropped.
class SourceServer final : public EpollServer {
 public:
  explicit SourceServer(std::uint64_t bytes_per_connection, std::uint64_t seed = 0x5017ce)
      : bytes_(bytes_per_connection), seed_(seed) {}
  ~SourceServer() override { stop(); }

 protected:
  void on_accept(Conn& c) override;
  bool on_ready(Conn& c, bool readable, bool writable) override;
  std::uint32_t interest(const Conn& c) const override;

 private:
  std::uint64_t bytes_;
  std::uint64_t seed_;
};

}  // namespace testsupport
