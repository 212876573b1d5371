#pragma once
// A LocalEnd over descriptors: a connected socket (read and written through one handle), or separate
// input, output and error descriptors (a session's stdin/stdout/stderr, the stdio pair of -W).
// Sockets, pipes and terminals are libuv streams: reads land in the shared read buffer and writes
// go straight out when the socket takes them (net/write_now). Regular files, which cannot be
// polled, are read and written with libuv's file requests, one at a time.
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "gateway/channel/local_end.hpp"

namespace gateway {

class StreamEnd final : public LocalEnd {
 public:
  // A connected socket (TCP or unix); the handle is taken over (malloc'ed, freed with free()).
  explicit StreamEnd(uv_stream_t* socket);
  // Descriptors, each -1 when absent (nothing to read; output or extended data discarded). They are
  // taken over in every case: closed with the end, or at once when it cannot be made (nullptr,
  // with `error` saying which one could not be used).
  static std::unique_ptr<StreamEnd> from_descriptors(uv_loop_t* loop, int input, int output, int error_output,
                                                     std::string& error);
  ~StreamEnd() override;
  StreamEnd(const StreamEnd&) = delete;
  StreamEnd& operator=(const StreamEnd&) = delete;

  void bind(LocalEndOwner& owner) override { owner_ = &owner; }
  void read_start() override;
  void read_stop() override;
  void write(std::vector<ssh::Bytes> parts, Stream stream) override;
  void shutdown_output() override;
  void close() override;

  // The socket's handle (peer address lookups); nullptr for descriptor ends.
  uv_stream_t* socket_handle() const { return ports_[0].stream; }

  // One descriptor: a libuv stream, or a regular file (`file` >= 0) driven by uv_fs requests.
  struct FileWrite;
  struct Port {
    uv_stream_t* stream = nullptr;
    int file = -1;
    // In order; only the first is in flight. (A vector: an empty std::deque already allocates, and
    // every socket end has three ports.)
    std::vector<FileWrite*> file_writes;
    int close_after_writes = -1;         // a closed file's descriptor, closed once they are done
    bool used() const { return stream != nullptr || file >= 0; }
  };

 private:
  StreamEnd() = default;
  enum PortIndex { kInput = 0, kOutput = 1, kError = 2 };

  Port& port_for(Stream stream);
  bool shares_input(const Port& port) const;
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void read_file();
  void on_file_read(ssize_t result);
  void write_stream(Port& port, std::vector<ssh::Bytes> parts, std::size_t credit);
  void write_file(Port& port, std::vector<ssh::Bytes> parts, std::size_t credit);
  void close_port(Port& port);
  void handle_closed();
  void write_done(std::size_t credit, int status);

  friend struct FileWrite;

  LocalEndOwner* owner_ = nullptr;
  uv_loop_t* loop_ = nullptr;
  Port ports_[3];
  bool reading_ = false;
  bool eof_ = false;
  // Regular-file input: one read at a time into its buffer. Made on the first read: a socket end
  // (most ends) never needs it, and a uv_fs_t alone is larger than the rest of the end.
  struct FileRead {
    uv_fs_t req{};
    char buffer[64 * 1024];
  };
  std::unique_ptr<FileRead> file_read_;
  bool file_read_in_flight_ = false;
  bool output_shut_ = false;
  bool closing_ = false;
  int open_handles_ = 0;  // close callbacks and file requests still to come
  bool closed_reported_ = false;
  std::shared_ptr<bool> alive_;  // made with file_read_: only that path looks after a callback
};

}  // namespace gateway
