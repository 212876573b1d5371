#!/usr/bin/env bash
# The dependency rule (docs/ARCHITECTURE.md): ssh/ and socks/ are sans-IO and never include libuv;
# OpenSSL is only included under ssh/crypto/ and ssh/keys/. CMake checks this at configure time
# too; this script gives CI a fast, explicit failure.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
if grep -rlE '#include *[<"]uv\.h' ssh socks 2>/dev/null; then
  echo "error: the files above are sans-IO code but include uv.h" >&2
  status=1
fi
if grep -rlE '#include *[<"]openssl/' ssh socks gateway tun 2>/dev/null | grep -vE '^ssh/(crypto|keys)/'; then
  echo "error: the files above include OpenSSL outside ssh/crypto/ and ssh/keys/" >&2
  status=1
fi
exit $status
