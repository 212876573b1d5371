#pragma once
// -G: the resolved configuration in `ssh -G`'s format (lower-case keyword, space, value; one line
// per list entry where ssh prints one) and in its order, so the two can be compared line by line,
// followed by sshplex's own directives.
#include <string>
#include <vector>

#include "gateway/config/options.hpp"

namespace gateway::config {

// The algorithm lists after the configuration's edits ("+aes128-ctr", "-*cbc") were applied.
struct PrintDefaults {
  std::vector<std::string> ciphers;
  std::vector<std::string> macs;
  std::vector<std::string> kex_algorithms;
  std::vector<std::string> host_key_algorithms;
};

std::string print_config(const Options& options, const PrintDefaults& algorithms);

}  // namespace gateway::config
