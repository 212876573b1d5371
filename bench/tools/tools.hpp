// The subcommands of sshplex-bench. Their options and one-line JSON results are the contract with
// the benchmark runner (bench/run.py): change neither without changing it. Each takes the whole
// argv and the index of its first option, and returns the process exit code.
#pragma once

namespace bench::tools {

int run_server(int argc, char** argv, int first);
int run_bulk(int argc, char** argv, int first);
int run_socks_latency(int argc, char** argv, int first);
int run_hold(int argc, char** argv, int first);
int run_delay_relay(int argc, char** argv, int first);
int run_relay(int argc, char** argv, int first);
int run_first_byte(int argc, char** argv, int first);
int run_cipher_speed(int argc, char** argv, int first);

}  // namespace bench::tools
