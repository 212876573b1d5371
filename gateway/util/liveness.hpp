#pragma once
// Callbacks outlive the objects that scheduled them (libuv requests, resolver answers, session
// replies); each object owns a shared flag and the callback holds a weak reference to it.
#include <memory>

namespace gateway::util {

// True while the owner of `flag` exists and has not marked itself finished.
inline bool still_alive(const std::weak_ptr<bool>& flag) {
  const std::shared_ptr<bool> held = flag.lock();
  return held && *held;
}

}  // namespace gateway::util
