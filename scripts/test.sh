#!/usr/bin/env bash
# Builds and runs the whole test suite:
#   1. dev preset (strict warnings, -Werror): unit, integration (real sshd / Dropbear / ssh-agent on
#      loopback) and fuzz-corpus replay tests;
#   2. the Debian package (scripts/package-check.sh): the dev build packed with cpack, installed with
#      dpkg, the installed binary and files checked, purged again (as root only);
#   3. asan preset (AddressSanitizer + UndefinedBehaviorSanitizer): the same suite as dev;
#   4. fuzz preset (clang + libFuzzer): every fuzz target runs for a short while.
# Tests that need root (sshd privilege separation, test users) skip with a message elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
summary=()

run_preset() {
  local preset=$1
  echo "==> building ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "==> testing ($preset)"
  ctest --test-dir "build/$preset" --output-on-failure -j "$jobs" "${@:2}"
}

bash scripts/check-layering.sh
run_preset dev
package_started=$SECONDS
bash scripts/package-check.sh build/dev
echo "==> package stage took $((SECONDS - package_started)) s"
run_preset asan
if command -v clang++ >/dev/null && [ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] ; then
  run_preset fuzz -L fuzz
else
  echo "==> skipping the libFuzzer runs: clang and libclang-rt-14-dev are not installed"
fi
echo "==> all test stages passed"
