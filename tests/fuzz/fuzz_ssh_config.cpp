// ssh_config text in, options or file:line errors out. The first line of the input is also used as a
// command line (one word per space) so CLI parsing and forward specs are covered too.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/cli/command_line.hpp"
#include "gateway/config/canonicalize.hpp"
#include "gateway/config/resolver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using namespace gateway::config;

  // The first few reads (the -F file and some Includes) return the input itself, so nested includes
  // are exercised; later ones fail, covering the unreadable-include path without making every input
  // cost hundreds of re-parses.
  FileSystem fs;
  int reads = 0;
  fs.read_file = [&](const std::string&) -> std::optional<std::string> {
    if (++reads > 4) return std::nullopt;
    return text;
  };
  fs.glob = [](const std::string& pattern) { return std::vector<std::string>{pattern}; };
  const Environment env{"/home/fuzz", "fuzz"};

  std::vector<std::string> words;
  const std::string first = text.substr(0, text.find('\n'));
  std::size_t begin = 0;
  while (begin <= first.size() && words.size() < 32) {
    std::size_t end = first.find(' ', begin);
    if (end == std::string::npos) end = first.size();
    words.push_back(first.substr(begin, end - begin));
    begin = end + 1;
  }
  auto cli = gateway::cli::parse(std::span<const std::string>(words));

  ResolveInput input{"fuzz.example", {}, std::string("/fuzz/config")};
  // Never run a mutated `Match exec` command, nor read this machine's interfaces.
  input.run_command = [](const std::string&) { return 1; };
  // Nor make DNS lookups for CanonicalizeHostname.
  input.lookup_host = [](const std::string&, gateway::config::AddressFamily) { return gateway::config::HostLookup{}; };
  input.local_addresses = [] { return std::vector<std::string>{"192.0.2.1", "2001:db8::1"}; };
  if (cli.command_line) {
    if (!cli.command_line->host.empty()) input.host = cli.command_line->host;
    input.overrides = cli.command_line->overrides;
  }
  auto result = resolve(input, env, fs);
  for (const auto& e : result.errors) (void)e.to_string();
  if (result.options) {
    for (const auto& f : result.options->local_forwards) (void)to_string(f);
  }
  (void)parse_forward(ForwardKind::local, first);
  (void)parse_forward(ForwardKind::remote, first);
  (void)parse_forward(ForwardKind::dynamic, first);
  return 0;
}
