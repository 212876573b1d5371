// sshplex-bench: the load tools of the benchmark, one binary with a subcommand per tool.
#include <cstdio>
#include <string_view>

#include "bench/tools/runtime.hpp"
#include "bench/tools/tools.hpp"

namespace {

void usage() {
  std::fputs(
      "usage: sshplex-bench SUBCOMMAND [options]\n"
      "  server [--echo PORT] [--sink PORT] [--source PORT] [--greet PORT] [--bind ADDR] [--timeout S]\n"
      "  bulk --connect HOST:PORT (--upload BYTES | --download BYTES) [--streams N] [--timeout S]\n"
      "  socks-latency [--proxy HOST:PORT] --target HOST:PORT [--count N] [--warmup W] [--parallel P]\n"
      "                [--duration S] [--timeout S]\n"
      "  hold [--proxy HOST:PORT] --target HOST:PORT --count N [--concurrency C] [--timeout S]\n"
      "  delay-relay --listen PORT --connect HOST:PORT --delay-ms D [--bind ADDR] [--timeout S]\n"
      "  relay --listen PORT --connect HOST:PORT [--bind ADDR] [--timeout S]\n"
      "  first-byte --connect HOST:PORT [--timeout S]\n"
      "  cipher-speed --cipher aes128-gcm|chacha20-poly1305 --bytes N\n",
      stderr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 1;
  }
  bench::tools::raise_nofile_limit();
  const std::string_view command = argv[1];
  if (command == "server") return bench::tools::run_server(argc, argv, 2);
  if (command == "bulk") return bench::tools::run_bulk(argc, argv, 2);
  if (command == "socks-latency") return bench::tools::run_socks_latency(argc, argv, 2);
  if (command == "hold") return bench::tools::run_hold(argc, argv, 2);
  if (command == "delay-relay") return bench::tools::run_delay_relay(argc, argv, 2);
  if (command == "relay") return bench::tools::run_relay(argc, argv, 2);
  if (command == "first-byte") return bench::tools::run_first_byte(argc, argv, 2);
  if (command == "cipher-speed") return bench::tools::run_cipher_speed(argc, argv, 2);
  std::fprintf(stderr, "sshplex-bench: unknown subcommand '%.*s'\n", static_cast<int>(command.size()), command.data());
  usage();
  return 1;
}
