// Load drivers for the gateway's load and fault tests (epoll, one thread, bounded by a deadline):
// many concurrent SOCKS5 CONNECTs through a proxy to an echo server with per-connection payloads
// checked byte for byte, a deliberately slow reader, and /proc measurements of the process under
// test (RSS, open descriptors, finding the client's pid among the test's children).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/net.hpp"

namespace testsupport {

struct SocksLoadOptions {
  int proxy_port = 0;                      // SOCKS5 proxy on 127.0.0.1
  std::string target_ipv4 = "127.0.0.1";  // CONNECT by IPv4 address (ATYP 1)
  int target_port = 0;                     // an echo server as the proxy's far side sees it
  std::size_t connections = 1;
  std::size_t min_payload = 4 * 1024;  // each connection sends a distinct payload of a size in
  std::size_t max_payload = 16 * 1024;  // [min, max], seeded by `seed` and its index
  std::uint64_t seed = 1;
  // All SOCKS channels are opened first and held; payloads go out only once every connection is
  // open or has failed, so `connections` channels exist at the same time.
  bool hold_until_all_open = true;
  // TCP connects + SOCKS handshakes in flight at once (the proxy's listen backlog is finite).
  std::size_t max_in_flight = 256;
  std::chrono::milliseconds deadline{60000};
};

struct SocksLoadResult {
  std::size_t ok = 0;          // payload echoed back intact
  std::size_t failed = 0;      // connect / SOCKS / IO error, early close or deadline
  std::size_t mismatched = 0;  // echo differed from what was sent
  std::size_t opened = 0;      // SOCKS CONNECT succeeded
  std::size_t peak_open = 0;   // SOCKS channels open at the same time
  std::chrono::milliseconds open_time{0};   // start until the last channel opened (or failed)
  std::chrono::milliseconds total_time{0};  // start until every connection finished
  std::map<std::string, std::size_t> errors;  // reason -> count
  bool deadline_hit = false;
  std::string summary() const;
};

// Runs the load to completion or the deadline; never blocks past it.
SocksLoadResult run_socks_load(const SocksLoadOptions& options);

// Connects to `ep` (optionally through a SOCKS5 proxy on 127.0.0.1:socks_port to target:port) with
// a small receive buffer and reads at most `bytes_per_second` on a background thread, verifying the
// data against PatternStream(seed) when `verify` is set. Used as the slow consumer of a big
// SourceServer stream.
class SlowReader {
 public:
  struct Options {
    Endpoint endpoint;            // where to connect (a -L port, or the SOCKS proxy)
    int socks_target_port = 0;    // non-zero: SOCKS5 CONNECT 127.0.0.1:port first
    std::size_t bytes_per_second = 256 * 1024;
    int receive_buffer = 16 * 1024;  // SO_RCVBUF, so the kernel does not soak up the backlog
    std::uint64_t verify_seed = 0;   // non-zero: check bytes against PatternStream(verify_seed)
  };

  SlowReader() = default;
  ~SlowReader();
  SlowReader(const SlowReader&) = delete;
  SlowReader& operator=(const SlowReader&) = delete;
  SlowReader(SlowReader&&) = delete;
  SlowReader& operator=(SlowReader&&) = delete;

  bool start(const Options& options);  // false when the connection (or SOCKS handshake) fails
  void stop();                         // joins the thread and closes the socket
  std::uint64_t bytes_read() const { return read_.load(); }
  bool corrupt() const { return corrupt_.load(); }
  bool closed_early() const { return closed_.load(); }
  const std::string& error() const { return error_; }

 private:
  void run(std::size_t bytes_per_second, std::uint64_t verify_seed);

  int fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<std::uint64_t> read_{0};
  std::atomic<bool> corrupt_{false};
  std::atomic<bool> closed_{false};
  std::string error_;
};

// Reads from `ep` (optionally via SOCKS5 as above) as fast as possible until `bytes` arrived or the
// timeout; verifies against PatternStream(seed). Returns bytes verified and the time it took.
struct DrainResult {
  std::uint64_t bytes = 0;
  bool intact = true;
  std::chrono::milliseconds elapsed{0};
  std::string error;
  double mib_per_second() const;
};
DrainResult drain_source(const Endpoint& ep, int socks_target_port, std::uint64_t bytes, std::uint64_t seed,
                         std::chrono::milliseconds timeout);

// SOCKS5 no-auth CONNECT to ipv4:port over an already connected blocking fd; true on success reply.
bool socks5_connect(int fd, const std::string& ipv4, int port, std::chrono::milliseconds timeout, std::string* error);

// /proc measurements. nullopt when the process is gone.
std::optional<std::size_t> rss_kib(pid_t pid);         // VmRSS
std::optional<std::size_t> open_fd_count(pid_t pid);   // entries in /proc/<pid>/fd
// The first live descendant of the test process whose executable is `binary` (e.g. the sshplex a
// ClientRun started); -1 when none.
pid_t find_descendant_running(const std::string& binary);

// Raises this process's RLIMIT_NOFILE soft limit to at least `want` (and the hard limit too when
// privileged); children started afterwards inherit it. Returns the soft limit now in force.
std::size_t raise_fd_limit(std::size_t want);

}  // namespace testsupport
