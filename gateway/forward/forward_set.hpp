#pragma once
// The forwards of one sshplex, whatever their kind, keyed by their spec as the user wrote it. Added
// and cancelled one at a time (~C, a control socket) or all at once to match a configuration
// (SIGHUP). A cancelled forward stops listening at once and is destroyed when its last connection
// ends.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/config/forward_spec.hpp"
#include "gateway/forward/forward.hpp"

namespace gateway {

class ForwardSet {
 public:
  // Makes the forward for a spec (not started); nullptr with `error` when it may not exist.
  using Factory = std::function<std::unique_ptr<Forward>(const config::ForwardSpec& spec, std::string& error)>;

  explicit ForwardSet(Factory factory) : factory_(std::move(factory)) {}
  ~ForwardSet();
  ForwardSet(const ForwardSet&) = delete;
  ForwardSet& operator=(const ForwardSet&) = delete;

  // Makes and starts a forward. false with `error` when it already exists or cannot start.
  bool add(const config::ForwardSpec& spec, std::string& error);
  // Stops a forward (see above), named by its whole spec or, without a target, by its kind and
  // listening side. false when there is no such forward.
  bool cancel(const config::ForwardSpec& spec);
  bool contains(const config::ForwardSpec& spec) const;
  // Makes the set equal to `wanted`: forwards in both stay untouched, the others are cancelled and
  // the new ones added. Returns the errors of those that could not start.
  std::vector<std::string> apply(const std::vector<config::ForwardSpec>& wanted);
  void stop_listening();
  void close();
  // Connections of live and cancelled forwards.
  std::size_t active_connections() const;
  std::size_t size() const { return live_.size(); }
  // One line per live forward: what it is and how many connections it carries.
  std::vector<std::string> describe() const;
  struct Status {
    config::ForwardSpec spec;
    std::string description;  // Forward::describe()
    std::size_t connections = 0;
  };
  std::vector<Status> status() const;
  // Each live forward with its spec (e.g. to update what a kind of forward depends on).
  void for_each(const std::function<void(const config::ForwardSpec&, Forward&)>& visit);

  // "L 8080:db:5432": kind and spec, the identity of a forward.
  static std::string key(const config::ForwardSpec& spec);

 private:
  struct Entry {
    std::string key;
    config::ForwardSpec spec;
    std::unique_ptr<Forward> forward;
  };
  void reap();

  Factory factory_;
  std::vector<Entry> live_;
  std::vector<std::unique_ptr<Forward>> retiring_;
};

}  // namespace gateway
