#pragma once
// The live splices of one forward: it creates them, forgets and deletes each as it finishes, and
// aborts them all when the forward closes. A splice that finishes after its set is gone (the owner
// was destroyed first) deletes itself without touching the set.
#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_set>

#include "gateway/forward/stream_splice.hpp"

namespace gateway {

class SpliceSet {
 public:
  SpliceSet() = default;
  ~SpliceSet() { *alive_ = false; }
  SpliceSet(const SpliceSet&) = delete;
  SpliceSet& operator=(const SpliceSet&) = delete;

  // A splice of `stream` (taken over) and a channel of `session` to be attached by the caller.
  StreamSplice* create(SshSession& session, uv_stream_t* stream, std::string label);
  std::size_t size() const { return splices_.size(); }
  // Splices whose channel open is still unanswered.
  std::size_t opening() const { return *opening_; }
  void abort_all();

 private:
  std::unordered_set<StreamSplice*> splices_;
  // Shared with the splices, which may outlive the set.
  std::shared_ptr<std::size_t> opening_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gateway
