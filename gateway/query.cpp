#include "gateway/query.hpp"

#include "gateway/config/keywords.hpp"
#include "ssh/transport/algorithms.hpp"

namespace gateway {
namespace {

using ssh::transport::AlgorithmKind;
using ssh::transport::supported_algorithms;

// Key types (the names of public key blobs) and the signature algorithms that go with them.
const std::vector<std::string> kKeyTypes = {"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                                            "ecdsa-sha2-nistp521", "ssh-rsa"};
const std::vector<std::string> kSignatures = {
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256",
    "ssh-rsa"};

}  // namespace

std::optional<std::vector<std::string>> query_list(std::string_view what) {
  if (what == "cipher" || what == "Ciphers") return supported_algorithms(AlgorithmKind::cipher);
  if (what == "cipher-auth") {
    std::vector<std::string> out;
    for (const auto& c : supported_algorithms(AlgorithmKind::cipher)) {
      if (c.find("gcm") != std::string::npos || c.starts_with("chacha20-poly1305")) out.push_back(c);
    }
    return out;
  }
  if (what == "mac" || what == "MACs") return supported_algorithms(AlgorithmKind::mac);
  if (what == "kex" || what == "KexAlgorithms") return supported_algorithms(AlgorithmKind::kex);
  if (what == "key" || what == "key-plain" || what == "HostKeyAlgorithms" || what == "PubkeyAcceptedAlgorithms") {
    return kKeyTypes;
  }
  if (what == "key-cert" || what == "key-ca-sign" || what == "CASignatureAlgorithms") {
    // Certificates are not accepted yet.
    return std::vector<std::string>{};
  }
  if (what == "key-sig" || what == "sig") return kSignatures;
  if (what == "protocol-version") return std::vector<std::string>{"2"};
  if (what == "compression") return std::vector<std::string>{"none", "zlib@openssh.com", "zlib"};
  if (what == "sshplex-directives") {
    // From the directive table itself, so a new directive cannot be missing here.
    std::vector<std::string> out;
    for (const auto name : config::sshplex_directives()) out.emplace_back(name);
    return out;
  }
  if (what == "help") {
    return std::vector<std::string>{"cipher",           "cipher-auth", "compression",       "kex",     "key",
                                    "key-ca-sign",      "key-cert",    "key-plain",         "key-sig", "mac",
                                    "protocol-version", "sig",         "sshplex-directives"};
  }
  return std::nullopt;
}

}  // namespace gateway
