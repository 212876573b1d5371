#include "gateway/session/session_setup.hpp"

#include "gateway/util/log.hpp"

namespace gateway::session {
namespace {

namespace sr = ssh::connection::session_request;

}  // namespace

SessionSetup::SessionSetup(std::string term, std::string command, bool subsystem,
                           std::vector<std::pair<std::string, std::string>> env)
    : term_(std::move(term)), command_(std::move(command)), subsystem_(subsystem), env_(std::move(env)) {}

const char* SessionSetup::kind() const { return subsystem_ ? "subsystem" : command_.empty() ? "shell" : "exec"; }

void SessionSetup::send(ChannelPump& pump, const std::vector<ExtraRequest>& extra, const std::optional<PtyShape>& pty) {
  for (const auto& r : extra) {
    const auto seq = pump.request(r.name, r.data, r.want_reply);
    if (seq && r.want_reply) extra_seqs_.emplace_back(*seq, r.what);
  }
  if (pty) pty_seq_ = pump.request(sr::kPtyReq, sr::pty_req({term_, pty->size, pty->modes}), true);
  for (const auto& [name, value] : env_) pump.request(sr::kEnv, sr::env(name, value), false);
  if (subsystem_) {
    log::debug("Sending subsystem: %s", command_.c_str());
    run_seq_ = pump.request(sr::kSubsystem, sr::subsystem(command_), true);
  } else if (command_.empty()) {
    log::debug("Requesting shell.");
    run_seq_ = pump.request(sr::kShell, {}, true);
  } else {
    log::debug("Sending command: %s", command_.c_str());
    run_seq_ = pump.request(sr::kExec, sr::exec(command_), true);
  }
}

SessionSetup::Answer SessionSetup::answer(std::uint32_t seq, bool success, std::string& what) const {
  if (pty_seq_ && seq == *pty_seq_) return success ? Answer::pty_granted : Answer::pty_refused;
  if (run_seq_ && seq == *run_seq_) return success ? Answer::started : Answer::not_started;
  for (const auto& [extra_seq, name] : extra_seqs_) {
    if (extra_seq == seq && !success) {
      what = name;
      return Answer::extra_refused;
    }
  }
  return Answer::unrelated;
}

bool SessionSetup::take(const ssh::event::ChannelRequest& request) {
  if (request.name == sr::kExitStatus) {
    if (auto status = sr::parse_exit_status(request.data)) {
      exit_status_ = *status;
      return true;
    }
    return false;
  }
  if (request.name == sr::kExitSignal) {
    if (auto signal = sr::parse_exit_signal(request.data)) {
      exit_signal_ = signal->signal + (signal->core_dumped ? " (core dumped)" : "");
      if (!signal->message.empty()) exit_signal_ += ": " + signal->message;
      return true;
    }
  }
  return false;
}

}  // namespace gateway::session
