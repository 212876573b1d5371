#pragma once
// Configuration files in memory for the resolver tests: read_file and glob(3)-style matching over
// a map of path -> text.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/options.hpp"
#include "ssh/known_hosts/host_pattern.hpp"

namespace configtest {

struct FakeFs {
  std::map<std::string, std::string> files;
  gateway::config::FileSystem fs() const {
    gateway::config::FileSystem f;
    f.read_file = [this](const std::string& p) -> std::optional<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return std::nullopt;
      return it->second;
    };
    f.glob = [this](const std::string& pattern) {
      std::vector<std::string> out;
      for (const auto& [name, text] : files) {
        if (ssh::known_hosts::match_wildcard(pattern, name)) out.push_back(name);
      }
      return out;
    };
    return f;
  }
};

}  // namespace configtest
