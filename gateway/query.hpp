#pragma once
// -Q: what this build supports, one name per line, as `ssh -Q` lists it (cipher, cipher-auth, mac,
// kex, key, key-plain, key-cert, key-sig, sig, protocol-version, compression, help), plus
// `sshplex-directives`: the directives sshplex adds to ssh_config.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gateway {

// nullopt for a query name this build does not know.
std::optional<std::vector<std::string>> query_list(std::string_view what);

}  // namespace gateway
