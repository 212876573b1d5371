#!/usr/bin/env bash
# Benchmarks sshplex against OpenSSH's client on this machine (see bench/README.md).
# Installs the dependencies, builds sshplex and the load tools (release preset), then runs
# bench/run.py with the arguments given here, e.g.
#   scripts/bench.sh                 full run (about 15 minutes), writes bench/results/latest.json
#   scripts/bench.sh --quick         smoke run with about 1/8 of the sizes
#   scripts/bench.sh --only 1,2 --reps 5
# Must run as root: the throwaway sshd needs root for privilege separation.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "bench.sh: must run as root (sshd privilege separation)" >&2
    exit 1
fi

sh scripts/install-deps.sh
cmake --preset release
# Only the two binaries the benchmark runs: the test suites take minutes more to build and are
# scripts/test.sh's business.
cmake --build --preset release -j"$(nproc)" --target sshplex sshplex_bench
python3 bench/run.py "$@"
