#include "gateway/forward/splice_set.hpp"

namespace gateway {

StreamSplice* SpliceSet::create(SshSession& session, uv_stream_t* stream, std::string label) {
  std::weak_ptr<bool> alive = alive_;
  auto* splice = new StreamSplice(session, stream, std::move(label), [this, alive](StreamSplice* done) {
    if (auto a = alive.lock(); a && *a) splices_.erase(done);
    delete done;
  });
  splices_.insert(splice);
  splice->count_while_opening(opening_);
  return splice;
}

void SpliceSet::abort_all() {
  // An abort can end the session and with it other splices: only touch those still in the set.
  for (StreamSplice* s : std::unordered_set<StreamSplice*>(splices_)) {
    if (splices_.count(s) != 0) s->abort();
  }
}

}  // namespace gateway
