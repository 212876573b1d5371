#!/usr/bin/env bash
# The systemd units in conf/systemd/:
#   1. systemd-analyze verify (offline: PID 1 need not be systemd) reports nothing at all on
#      sshplex@example.service and sshplex.service, with ExecStart= pointing at the built binary
#      (verify checks that it exists). Man pages are not looked up: they are not installed from a
#      build tree; scripts/package-check.sh verifies the installed units with them.
#   2. sshplex.service is sshplex@.service with %i replaced by sshplex (comments and Description=
#      aside).
#   3. The template's ExecStart= command line, with %i substituted and /etc/sshplex/ meaning conf/,
#      loads the shipped example (-G), and its ControlPath lies in the unit's RuntimeDirectory=; the
#      same for sshplex.service with the example renamed to sshplex.conf / "Host sshplex".
# Usage: verify_units.sh SSHPLEX_BINARY SOURCE_DIR. Exit 77 (skipped) without systemd-analyze.
set -euo pipefail

binary=$1
source_dir=$2
units=$source_dir/conf/systemd
template=$units/sshplex@.service
single=$units/sshplex.service
status=0

fail() {
  echo "FAIL: $*" >&2
  status=1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 2. The plain unit is the template's sshplex instance.
strip() { grep -v -e '^#' -e '^$' -e '^Description=' "$1"; }
if ! diff -u <(strip "$template" | sed 's/%i/sshplex/g') <(strip "$single") >"$work/diff"; then
  fail "sshplex.service differs from sshplex@.service with %i=sshplex:"
  cat "$work/diff" >&2
fi

# 3. ExecStart= on the shipped example, with -G: the command line parses and the config loads.
exec_start() { sed -n 's/^ExecStart=//p' "$1"; }
runtime_dir() { sed -n 's/^RuntimeDirectory=//p' "$1"; }
run_exec_start() {  # unit instance config_dir
  local line
  line=$(exec_start "$1" | sed -e "s|%i|$2|g" -e "s|/etc/sshplex/|$3/|g")
  read -r -a argv <<<"$line"
  if [ "${argv[0]}" != /usr/bin/sshplex ]; then
    fail "$1: ExecStart= runs ${argv[0]}, not /usr/bin/sshplex"
    return
  fi
  echo "+ sshplex -G ${argv[*]:1}"
  if ! "$binary" -G "${argv[@]:1}" >"$work/g.out" 2>"$work/g.err"; then
    fail "$1: the ExecStart= command line with -G failed:"
    cat "$work/g.err" >&2
    return
  fi
  if [ -s "$work/g.err" ]; then
    fail "$1: the ExecStart= command line with -G printed warnings:"
    cat "$work/g.err" >&2
  fi
  local want_dir control
  want_dir=/run/$(runtime_dir "$1" | sed "s|%i|$2|g")
  control=$(sed -n 's/^controlpath //p' "$work/g.out")
  if [ "$(dirname "$control")" != "$want_dir" ]; then
    fail "$1: ControlPath $control is not in the unit's RuntimeDirectory $want_dir"
  fi
}
run_exec_start "$template" example "$source_dir/conf"
mkdir "$work/etc"
sed -e 's/^Host example$/Host sshplex/' "$source_dir/conf/example.conf" >"$work/etc/sshplex.conf"
grep -q '^Host sshplex$' "$work/etc/sshplex.conf" || fail "conf/example.conf has no 'Host example' line"
run_exec_start "$single" sshplex "$work/etc"

# 1. systemd-analyze verify, offline. Any output is a warning (unknown key, bad value, missing
# binary, ...): verify itself exits 0 on most of them.
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is not installed (Debian: apt-get install systemd): skipping the verify part" >&2
  [ "$status" -eq 0 ] && exit 77
  exit "$status"
fi
mkdir "$work/units"
sed "s|^ExecStart=/usr/bin/sshplex |ExecStart=$binary |" "$template" >"$work/units/sshplex@example.service"
sed "s|^ExecStart=/usr/bin/sshplex |ExecStart=$binary |" "$single" >"$work/units/sshplex.service"
echo "+ systemd-analyze verify --man=no sshplex@example.service sshplex.service"
if ! systemd-analyze verify --man=no "$work/units/sshplex@example.service" "$work/units/sshplex.service" \
    >"$work/verify.out" 2>&1 || [ -s "$work/verify.out" ]; then
  fail "systemd-analyze verify:"
  cat "$work/verify.out" >&2
fi

[ "$status" -eq 0 ] && echo "systemd units: OK"
exit "$status"
