#!/usr/bin/env bash
# The dependency rule (docs/ARCHITECTURE.md, cmake/layers.txt): ssh/, socks/ and tun/ are sans-IO
# and never include libuv; OpenSSL is only included under ssh/crypto/ and ssh/keys/; each library
# and each gateway folder includes only what cmake/layers.txt allows it. CMake checks this at
# configure time too; this script gives CI a fast, explicit failure.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
if grep -rlE '#include *[<"]uv\.h' ssh socks tun 2>/dev/null; then
  echo "error: the files above are sans-IO code but include uv.h" >&2
  status=1
fi
if grep -rlE '#include *[<"]openssl/' ssh socks gateway tun 2>/dev/null | grep -vE '^ssh/(crypto|keys)/'; then
  echo "error: the files above include OpenSSL outside ssh/crypto/ and ssh/keys/" >&2
  status=1
fi
# The layer of an include path: "gateway/<folder>" or the top-level library.
layer_of() {
  case "$1" in
    gateway/*/*) echo "$1" | cut -d/ -f1-2 ;;
    gateway/*) echo "gateway" ;;
    *) echo "$1" | cut -d/ -f1 ;;
  esac
}
while read -r layer allowed; do
  layer=${layer%:}
  case "$layer" in ''|'#'*) continue ;; esac
  [ "$allowed" = "*" ] && continue
  # The program stands on the protocol libraries everywhere.
  case "$layer" in gateway/*) allowed="$allowed ssh socks tun" ;; esac
  [ -d "$layer" ] || continue
  while IFS=: read -r file include; do
    target=$(layer_of "$include")
    [ "$target" = "$layer" ] && continue
    case " $allowed " in *" $target "*) continue ;; esac
    echo "error: $file includes $include, but $layer may only use: ${allowed:-nothing}" >&2
    status=1
  done < <(grep -rHoE '#include "(ssh|socks|tun|gateway)/[^"]*"' "$layer" --include='*.hpp' --include='*.cpp' |
           sed -E 's/#include "([^"]*)"/\1/')
done < cmake/layers.txt
exit $status
