#pragma once
// RemoteForward (-R): the server listens (RFC 4254 §7.1 tcpip-forward, OpenSSH PROTOCOL §2.4
// streamlocal-forward@openssh.com) and opens a forwarded-tcpip / forwarded-streamlocal channel per
// connection; we connect locally and splice. Forms, as ssh(1):
//   -R [bind:]port:host:hostport    -R [bind:]port:/local/socket
//   -R /remote/socket:host:hostport -R /remote/socket:/local/socket
//   -R [bind:]port                  (no target: each connection is a SOCKS4/4a/5 client we serve)
// Port 0 lets the server choose; it is reported as ssh does ("Allocated port N for remote forward
// to host:hostport") and kept across reconnects where possible.
//
// The forwards live on one connection at a time (attach / detach). As ssh, the local connect is
// made first and the channel accepted only when it succeeded (else OPEN_FAILURE "connect failed").
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "gateway/config/forward_spec.hpp"
#include "gateway/core/ssh_session.hpp"
#include "gateway/forward/remote_socks.hpp"
#include "gateway/channel/channel_pump.hpp"
#include "gateway/forward/forward.hpp"
#include "ssh/connection/channel_types.hpp"
#include "gateway/net/connector.hpp"
#include "gateway/net/resolver.hpp"

namespace gateway {

class RemoteForwards {
 public:
  // As in ssh, GatewayPorts does not change what is asked of the server: a forward without a bind
  // address asks for "localhost", "*" or an empty one for every interface (which the server's own
  // GatewayPorts may still restrict).
  RemoteForwards(uv_loop_t* loop, net::Resolver& resolver, std::vector<config::ForwardSpec> specs = {});
  ~RemoteForwards();
  RemoteForwards(const RemoteForwards&) = delete;
  RemoteForwards& operator=(const RemoteForwards&) = delete;

  // An authenticated connection: request every forward on it. `done(all_ok)` runs once every
  // request has its final answer (after any retries; not at all if detach() comes first).
  void attach(SshSession& session, std::function<void(bool all_ok)> done);
  // The connection is gone: forget it (the session closes its channels). A later attach()
  // requests everything again; a forward the server then refuses although it had granted it before
  // (the old server process may still hold the port) is retried every 2 s for up to 60 s.
  void detach(SshSession& session);
  // Adds a forward (requested on the attached connection, if any; `done` of attach() ignores it)
  // or removes one (cancelled on the server; connections already made run on until they end).
  // false when it already exists / does not exist.
  bool add(const config::ForwardSpec& spec);
  // PermitRemoteOpen: where reverse SOCKS clients may connect ("host:port" entries; empty: anywhere).
  void set_permitted_opens(std::vector<std::string> permitted) { permitted_opens_ = std::move(permitted); }
  bool remove(const config::ForwardSpec& spec);
  // `answered(ok, port)` once the server has given a forward its final answer (at once when it
  // already has; after the next attach when no connection holds the forwards): `port` is where the
  // server listens, the allocated one for port 0 (0 for a socket path). A control socket's
  // -O forward replies only then. false when there is no such forward.
  using Answered = std::function<void(bool ok, std::uint32_t port)>;
  bool when_answered(const config::ForwardSpec& spec, Answered answered);
  // Stops: cancels the forwards on the server (best effort), pending connects and every splice.
  void close();
  // Forwarded connections being set up or carrying data.
  std::size_t active_connections() const;

  // What the channels of one forward did (opens: channels accepted; a failed local connect is
  // connect_failed); nullptr when there is no such forward.
  const PumpCounters* counters(const config::ForwardSpec& spec) const;
  // Channels of one forward carrying data now (0 when there is no such forward).
  std::size_t clients(const config::ForwardSpec& spec) const;
  std::size_t size() const { return forwards_.size(); }
  // The port the server listens on for forward i (the allocated one for port 0); nullopt for a
  // socket path or while unknown.
  std::optional<std::uint16_t> listen_port(std::size_t i) const;
  bool ready(std::size_t i) const;
  // "localhost:8080 -> 127.0.0.1:80", "/run/x.sock -> SOCKS" for log lines.
  std::string describe(std::size_t i) const;

 private:
  struct Entry;
  struct PendingConnect;
  void request(Entry& f);
  void on_reply(Entry& f, std::uint64_t generation, const ssh::event::GlobalRequestResult& result);
  void on_refused(Entry& f);
  void settle(Entry& f, bool ok);
  // Runs and forgets the forward's `answered` callbacks.
  void answer(Entry& f, bool ok);
  // A forwarded-tcpip or forwarded-streamlocal open, its data decoded.
  struct Incoming {
    bool streamlocal = false;
    ssh::connection::channel_type::ForwardedTcpip tcpip;
    std::string socket_path;
  };
  // The acceptor registered on the attached session for both forwarded channel types.
  void on_channel_open(SshSession& session, const ssh::event::ChannelOpenRequest& request);
  Entry* match(const Incoming& incoming);
  const Entry* find(const config::ForwardSpec& spec) const;
  // A pump for one of f's channels, counted in f's counters and clients.
  ChannelPump* create_pump(SshSession& session, Entry& f, std::unique_ptr<LocalEnd> end, const std::string& label);
  void connect_then_accept(SshSession& session, Entry& f, ssh::ChannelId id, std::string label);
  void unregister(SshSession& session);
  void stop_retry(Entry& f);
  void cancel_on_server(Entry& f);

  uv_loop_t* loop_;
  net::Resolver& resolver_;
  std::vector<std::string> permitted_opens_;
  std::vector<std::unique_ptr<Entry>> forwards_;
  // Removed by remove(): kept (inert) because replies and timers may still point at them.
  std::vector<std::unique_ptr<Entry>> retired_;
  SshSession* session_ = nullptr;
  std::uint64_t generation_ = 0;  // bumped by attach/detach: stale replies are ignored
  std::size_t attach_count_ = 0;
  std::size_t unsettled_ = 0;
  bool all_ok_ = true;
  std::function<void(bool)> done_;
  bool closed_ = false;
  std::unordered_set<PendingConnect*> pending_;
  PumpSet pumps_;
  // Replies and finishing splices may arrive after destruction; they check this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// One remote forward as a Forward of the common list: the server listens for it on whichever
// pooled connection holds the remote forwards. Its connections are counted by the registry.
class RemoteForward final : public Forward {
 public:
  RemoteForward(RemoteForwards& registry, config::ForwardSpec spec);
  ~RemoteForward() override { stop_listening(); }
  std::string describe() const override;
  bool start(std::string& error) override;
  void stop_listening() override;
  void close() override { stop_listening(); }
  std::size_t active_connections() const override { return 0; }
  const PumpCounters* counters() const override { return registry_.counters(spec_); }

 private:
  RemoteForwards& registry_;
  config::ForwardSpec spec_;
  bool started_ = false;
};

}  // namespace gateway
