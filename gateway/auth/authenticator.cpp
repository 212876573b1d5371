#include "gateway/auth/authenticator.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "gateway/core/ssh_session.hpp"
#include "gateway/util/log.hpp"
#include "gateway/util/read_file.hpp"
#include "ssh/crypto/host_key.hpp"
#include "ssh/keys/private_key.hpp"
#include "ssh/keys/public_key.hpp"

namespace gateway::auth {
namespace {

std::optional<ssh::Bytes> read_file(const std::string& path) {
  ssh::Bytes bytes;
  if (!util::read_whole_file(path, bytes)) return std::nullopt;
  return bytes;
}

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

struct Authenticator::Identity {
  std::string source;  // the file path, or "agent: <comment>"
  std::string path;    // empty for agent keys
  ssh::Bytes public_blob;
  std::string key_type;
  bool from_agent = false;
  std::unique_ptr<ssh::keys::Signer> signer;  // file keys, loaded when first needed
  bool decrypted_up_front = false;            // no .pub file: a passphrase was asked before offering
  bool agent_add_considered = false;          // AddKeysToAgent was applied to this key (once)
};

Authenticator::Authenticator(AuthSettings settings) : settings_(std::move(settings)) {}
Authenticator::~Authenticator() = default;

void Authenticator::restart() {
  next_identity_ = 0;
  current_identity_ = nullptr;
  current_algorithm_.clear();
  server_methods_.clear();
  exhausted_.clear();
  pending_method_.clear();
  password_tries_ = 0;
  kbdint_tries_ = 0;
  none_sent_ = false;
  failed_ = false;
}

void Authenticator::load_identities() {
  identities_loaded_ = true;
  // File identities first, to know which agent keys IdentitiesOnly allows.
  std::vector<std::unique_ptr<Identity>> files;
  for (const auto& path : settings_.identity_files) {
    auto contents = read_file(path);
    if (!contents) {
      log::debug("identity file %s not accessible", path.c_str());
      continue;
    }
    auto id = std::make_unique<Identity>();
    id->source = path;
    id->path = path;
    if (auto pub = read_file(path + ".pub")) {
      if (auto parsed = ssh::keys::parse_public_key_line(ssh::as_string(*pub))) {
        id->public_blob = parsed->blob;
        id->key_type = parsed->type;
      }
    }
    if (id->public_blob.empty()) {
      if (ssh::keys::private_key_is_encrypted(*contents)) {
        // Without a .pub file the key must be decrypted before it can even be offered.
        if (!ensure_private_key(*id)) continue;
        id->decrypted_up_front = true;
      } else {
        auto loaded = ssh::keys::load_private_key(*contents, "");
        if (loaded.status != ssh::keys::LoadStatus::ok) {
          log::info("Load key \"%s\": %s", path.c_str(), loaded.message.c_str());
          continue;
        }
        id->signer = std::move(loaded.signer);
      }
      id->public_blob = id->signer->public_blob();
      id->key_type = id->signer->key_type();
    }
    ssh::wipe(contents->data(), contents->size());
    log::debug("identity file %s type %s", path.c_str(), id->key_type.c_str());
    files.push_back(std::move(id));
  }
  if (!settings_.agent_socket.empty()) {
    std::string error;
    agent_ = AgentClient::connect(settings_.agent_socket, error);
    if (!agent_) {
      log::verbose("ssh-agent not available: %s", error.c_str());
    } else if (auto keys = agent_->identities(error)) {
      for (auto& key : *keys) {
        const bool listed =
            std::any_of(files.begin(), files.end(), [&](const auto& f) { return f->public_blob == key.key_blob; });
        if (settings_.identities_only && !listed) continue;
        auto id = std::make_unique<Identity>();
        id->source = "agent key " + key.comment;
        id->public_blob = std::move(key.key_blob);
        id->key_type = ssh::crypto::key_blob_type(id->public_blob);
        id->from_agent = true;
        identities_.push_back(std::move(id));
      }
      // A file key the agent already holds is offered once, through the agent.
      std::erase_if(files, [&](const auto& f) {
        return std::any_of(identities_.begin(), identities_.end(),
                           [&](const auto& a) { return a->public_blob == f->public_blob; });
      });
    } else {
      log::verbose("ssh-agent: %s", error.c_str());
    }
  }
  // A key decrypted to be offered at all is added now, as ssh adds a key when it loads it (the
  // agent does not hold it: those went above); the others when they are first used to sign.
  for (auto& f : files) {
    if (f->decrypted_up_front) maybe_add_to_agent(*f);
    identities_.push_back(std::move(f));
  }
}

void Authenticator::maybe_add_to_agent(Identity& id) {
  // ssh's maybe_add_key_to_agent(): only keys loaded from a file, each once, to the agent of
  // SSH_AUTH_SOCK / IdentityAgent over a connection of its own.
  if (settings_.add_keys_to_agent == AddKeysToAgent::no || id.from_agent || !id.signer || id.agent_add_considered) {
    return;
  }
  id.agent_add_considered = true;
  std::string error;
  auto agent = settings_.agent_socket.empty() ? nullptr : AgentClient::connect(settings_.agent_socket, error);
  if (!agent) {
    log::debug2("no authentication agent, not adding key");
    return;
  }
  // The key file's own comment, or its path when the file has none (PEM).
  const std::string comment = id.signer->comment().empty() ? id.path : id.signer->comment();
  if (settings_.add_keys_to_agent == AddKeysToAgent::ask &&
      !confirm("Add key " + id.path + " (" + comment + ") to agent?")) {
    log::debug2("user denied adding this key");
    return;
  }
  const std::optional<ssh::SecretBytes> key = id.signer->agent_private_key();
  ssh::agent::KeyConstraints constraints;
  constraints.lifetime_seconds = static_cast<std::uint32_t>(std::clamp<std::chrono::seconds::rep>(
      settings_.add_keys_to_agent_lifetime.count(), 0, std::numeric_limits<std::uint32_t>::max()));
  constraints.confirm = settings_.add_keys_to_agent == AddKeysToAgent::confirm;
  if (!key) {
    log::verbose("could not add identity to agent: %s (key cannot be encoded)", id.path.c_str());
  } else if (agent->add_identity(*key, comment, constraints, error)) {
    log::verbose("identity added to agent: %s", id.path.c_str());
  } else {
    log::verbose("could not add identity to agent: %s (%s)", id.path.c_str(), error.c_str());
  }
}

void Authenticator::handle(SshSession& session, const ssh::Event& event) {
  if (const auto* banner = std::get_if<ssh::event::AuthBanner>(&event)) {
    log::info("%s", banner->message.c_str());
    return;
  }
  if (const auto* methods = std::get_if<ssh::event::AuthMethods>(&event)) {
    if (!none_sent_) {
      none_sent_ = true;
      session.client().auth_none();
      session.pump();
      return;
    }
    if (methods->partial_success) {
      log::info("Authenticated using \"%s\" with partial success.", pending_method_.c_str());
    }
    server_methods_ = methods->methods;
    log::verbose("Authentications that can continue: %s", join(server_methods_).c_str());
    try_next(session);
    return;
  }
  if (const auto* ok = std::get_if<ssh::event::AuthPublicKeyOk>(&event)) {
    on_pk_ok(session, *ok);
    return;
  }
  if (const auto* prompts = std::get_if<ssh::event::AuthPrompts>(&event)) {
    on_prompts(session, *prompts);
  }
}

void Authenticator::try_next(SshSession& session) {
  for (const auto& method : settings_.preferred) {
    if (!contains(server_methods_, method) || exhausted_.count(method) != 0) continue;
    bool started = false;
    if (method == "publickey" && settings_.pubkey) started = try_publickey(session);
    if (method == "keyboard-interactive" && settings_.kbd_interactive) started = try_kbdint(session);
    if (method == "password" && settings_.password) started = try_password(session);
    if (started) {
      pending_method_ = method;
      session.pump();
      return;
    }
    exhausted_.insert(method);
  }
  failed_ = true;
  session.shutdown(failure_message());
}

std::string Authenticator::signature_algorithm(const Identity& id, const ssh::Client& client) const {
  auto accepted = [&](const std::string& alg) {
    return settings_.accepted_algorithms.empty() || contains(settings_.accepted_algorithms, alg);
  };
  if (id.key_type != "ssh-rsa") return accepted(id.key_type) ? id.key_type : std::string();
  // RFC 8332 §3.3: use rsa-sha2-* when the server lists it in server-sig-algs.
  const auto& sig_algs = client.server_sig_algs();
  for (const char* alg : {"rsa-sha2-512", "rsa-sha2-256"}) {
    if ((sig_algs.empty() || contains(sig_algs, alg)) && accepted(alg)) return alg;
  }
  return accepted("ssh-rsa") && (sig_algs.empty() || contains(sig_algs, "ssh-rsa")) ? "ssh-rsa" : std::string();
}

bool Authenticator::try_publickey(SshSession& session) {
  if (!identities_loaded_) load_identities();
  while (next_identity_ < identities_.size()) {
    Identity& id = *identities_[next_identity_++];
    if (id.key_type.empty()) continue;
    current_algorithm_ = signature_algorithm(id, session.client());
    if (current_algorithm_.empty()) {
      log::verbose("Skipping %s: no acceptable signature algorithm for a %s key", id.source.c_str(),
                   id.key_type.c_str());
      continue;
    }
    current_identity_ = &id;
    log::verbose("Offering public key: %s %s %s", id.source.c_str(), id.key_type.c_str(),
                 ssh::crypto::sha256_fingerprint(id.public_blob).c_str());
    session.client().auth_publickey_query(current_algorithm_, id.public_blob);
    return true;
  }
  current_identity_ = nullptr;
  return false;
}

bool Authenticator::ensure_private_key(Identity& id) {
  if (id.signer) return true;
  auto contents = read_file(id.path);
  if (!contents) return false;
  auto result = ssh::keys::load_private_key(*contents, "");
  for (int attempt = 0; attempt < settings_.password_prompts; ++attempt) {
    if (result.status != ssh::keys::LoadStatus::need_passphrase &&
        result.status != ssh::keys::LoadStatus::bad_passphrase) {
      break;
    }
    if (attempt > 0) log::info("Bad passphrase, try again for %s", id.path.c_str());
    auto passphrase = read_secret("Enter passphrase for key '" + id.path + "': ", false, settings_.prompt);
    if (!passphrase || passphrase->empty()) break;
    result = ssh::keys::load_private_key(*contents, std::string_view(passphrase->data(), passphrase->size()));
  }
  ssh::wipe(contents->data(), contents->size());
  if (result.status != ssh::keys::LoadStatus::ok) {
    log::info("Load key \"%s\": %s", id.path.c_str(),
              result.status == ssh::keys::LoadStatus::bad_passphrase
                  ? "incorrect passphrase supplied to decrypt private key"
                  : result.message.c_str());
    return false;
  }
  id.signer = std::move(result.signer);
  return true;
}

void Authenticator::on_pk_ok(SshSession& session, const ssh::event::AuthPublicKeyOk& ok) {
  Identity* id = current_identity_;
  if (id == nullptr || ok.key_blob != id->public_blob) {
    try_next(session);
    return;
  }
  log::verbose("Server accepts key: %s %s", id->source.c_str(), id->key_type.c_str());
  if (id->from_agent) {
    std::string error;
    const ssh::Bytes data = session.client().publickey_data_to_sign(current_algorithm_, id->public_blob);
    auto signature = agent_ ? agent_->sign(id->public_blob, data, current_algorithm_, error) : std::nullopt;
    if (!signature) {
      log::info("agent signing failed for %s: %s", id->source.c_str(), error.c_str());
      try_next(session);
      return;
    }
    session.client().auth_publickey_signed(current_algorithm_, id->public_blob, *signature);
  } else {
    if (!ensure_private_key(*id)) {
      try_next(session);
      return;
    }
    maybe_add_to_agent(*id);
    session.client().auth_publickey_sign(current_algorithm_, *id->signer);
  }
  session.pump();
}

bool Authenticator::try_kbdint(SshSession& session) {
  if (kbdint_tries_ >= settings_.password_prompts) return false;
  ++kbdint_tries_;
  session.client().auth_keyboard_interactive();
  return true;
}

void Authenticator::on_prompts(SshSession& session, const ssh::event::AuthPrompts& prompts) {
  if (!prompts.name.empty()) log::info("%s", prompts.name.c_str());
  if (!prompts.instruction.empty()) log::info("%s", prompts.instruction.c_str());
  std::vector<ssh::SecretString> answers;
  for (const auto& p : prompts.prompts) {
    auto answer = read_secret(p.text, p.echo, settings_.prompt);
    if (!answer) {
      // Nobody to ask: give up on this method and go on with the next one.
      exhausted_.insert("keyboard-interactive");
      try_next(session);
      return;
    }
    answers.push_back(std::move(*answer));
  }
  session.client().auth_kbdint_respond(answers);
  session.pump();
}

bool Authenticator::try_password(SshSession& session) {
  if (password_tries_ >= settings_.password_prompts) return false;
  if (password_tries_ > 0) log::info("Permission denied, please try again.");
  ++password_tries_;
  auto password = read_secret(settings_.user + "@" + settings_.host + "'s password: ", false, settings_.prompt);
  if (!password) return false;
  session.client().auth_password(std::string_view(password->data(), password->size()));
  return true;
}

std::string Authenticator::failure_message() const {
  return settings_.user + "@" + settings_.host + ": Permission denied (" + join(server_methods_) + ").";
}

}  // namespace gateway::auth
