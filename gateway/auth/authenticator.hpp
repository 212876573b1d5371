#pragma once
// Drives user authentication for one connection the way ssh does: "none" to learn the methods,
// then PreferredAuthentications in order — publickey (agent keys, then identity files; each key is
// offered before anything is signed or a passphrase asked), keyboard-interactive, password —
// following partial success (AuthenticationMethods with several steps).
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gateway/auth/agent_client.hpp"
#include "gateway/auth/prompt.hpp"
#include "ssh/client/client.hpp"
#include "ssh/keys/signer.hpp"

namespace gateway {
class SshSession;
}

namespace gateway::auth {

// AddKeysToAgent (ssh_config(5)): what to do with a key loaded from an identity file whose key the
// agent does not hold yet.
enum class AddKeysToAgent {
  no,       // leave the agent alone
  yes,      // add it
  ask,      // add it when the user agrees ("Add key PATH (COMMENT) to agent?" through SSH_ASKPASS)
  confirm,  // add it with the confirm constraint (the agent asks before each use)
};

struct AuthSettings {
  std::string user;
  std::string host;  // for prompts: "user@host's password: "
  std::vector<std::string> identity_files;
  bool identities_only = false;
  std::string agent_socket;  // empty: no agent
  std::vector<std::string> preferred = {"publickey", "keyboard-interactive", "password"};
  // Signature algorithms we may use for user keys (PubkeyAcceptedAlgorithms); empty: all.
  std::vector<std::string> accepted_algorithms;
  bool pubkey = true;
  bool kbd_interactive = true;
  bool password = true;
  int password_prompts = 3;
  PromptOptions prompt;
  AddKeysToAgent add_keys_to_agent = AddKeysToAgent::no;
  // The added key's lifetime in the agent; zero: until it is removed.
  std::chrono::seconds add_keys_to_agent_lifetime{0};
};

class Authenticator {
 public:
  explicit Authenticator(AuthSettings settings);
  ~Authenticator();

  // Prepares for the next connection's login: the attempt state starts over, while loaded keys
  // (passphrases already asked) are kept so reconnecting and pooled connections never prompt again.
  void restart();
  // Feed AuthMethods / AuthPublicKeyOk / AuthPrompts / AuthBanner events.
  void handle(SshSession& session, const ssh::Event& event);
  // For the failure message: "Permission denied (publickey,password)."
  std::string failure_message() const;
  bool failed() const { return failed_; }

 private:
  struct Identity;
  void load_identities();
  void try_next(SshSession& session);
  bool try_publickey(SshSession& session);
  bool try_kbdint(SshSession& session);
  bool try_password(SshSession& session);
  void on_pk_ok(SshSession& session, const ssh::event::AuthPublicKeyOk& ok);
  void on_prompts(SshSession& session, const ssh::event::AuthPrompts& prompts);
  std::string signature_algorithm(const Identity& id, const ssh::Client& client) const;
  bool ensure_private_key(Identity& id);
  void maybe_add_to_agent(Identity& id);

  AuthSettings settings_;
  std::unique_ptr<AgentClient> agent_;
  std::vector<std::unique_ptr<Identity>> identities_;
  std::size_t next_identity_ = 0;
  Identity* current_identity_ = nullptr;
  std::string current_algorithm_;
  std::vector<std::string> server_methods_;
  std::set<std::string> exhausted_;
  std::string pending_method_;
  int password_tries_ = 0;
  int kbdint_tries_ = 0;
  bool none_sent_ = false;
  bool identities_loaded_ = false;
  bool failed_ = false;
};

}  // namespace gateway::auth
