// The subcommands of sshplex-bench (see notes/bench_contract.md for the CLI and JSON contract).
// Each takes the whole argv and the index of its first option, and returns the process exit code.
#pragma once

namespace bench::tools {

int run_server(int argc, char** argv, int first);
int run_bulk(int argc, char** argv, int first);
int run_socks_latency(int argc, char** argv, int first);
int run_hold(int argc, char** argv, int first);
int run_delay_relay(int argc, char** argv, int first);
int run_first_byte(int argc, char** argv, int first);

}  // namespace bench::tools
