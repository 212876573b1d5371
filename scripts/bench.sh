#!/usr/bin/env bash
# Benchmarks sshplex against OpenSSH's client on this machine (see bench/README.md).
# Installs the dependencies, builds sshplex and the load tools (release preset), then runs
# bench/run.py with the arguments given here, e.g.
#   scripts/bench.sh                 full run (about 15 minutes), writes bench/results/latest.json
#   scripts/bench.sh --quick         smoke run with about 1/8 of the sizes
#   scripts/bench.sh --only 1,2 --reps 5
#   scripts/bench.sh vpn [--quick]   the tun VPN's rows (11-14) instead: bench/vpn.py, three network
#                                    namespaces, beside ssh -L, sshuttle and sshplex -D
# Must run as root: the throwaway sshd needs root for privilege separation (and the VPN rows need
# network namespaces and /dev/net/tun).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "bench.sh: must run as root (sshd privilege separation)" >&2
    exit 1
fi

sh scripts/install-deps.sh
# The benchmark's own extra: sshuttle, the VPN rows' second baseline (not needed to build or test).
if ! command -v sshuttle >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y sshuttle
fi
cmake --preset release
# Only the two binaries the benchmark runs: the test suites take minutes more to build and are
# scripts/test.sh's business.
cmake --build --preset release -j"$(nproc)" --target sshplex sshplex_bench
if [ "${1:-}" = "vpn" ]; then
    shift
    exec python3 bench/vpn.py "$@"
fi
exec python3 bench/run.py "$@"
