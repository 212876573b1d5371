#!/usr/bin/env bash
# Builds the Debian package and checks it on this machine, then removes it again:
#   1. configure and build a release build (-O2) without tests in build/package, `cpack -G DEB` there
#      (or, given a build directory as the argument, pack that build as it is);
#   2. dpkg -i the .deb (no systemd needs to run), then check the installed package: sshplex -V and
#      the demo from /usr/bin/sshplex, its files (units, sysusers.d, README, examples, the man pages
#      of docs/man), the user sshplex and /etc/sshplex, Depends covering every shared library the
#      binary loads, systemd-analyze verify on the installed units, and the template's command line
#      run as the user sshplex on the example copied to /etc/sshplex;
#   3. dpkg --purge, and check that the files are gone.
# The machine is left as found, also on failure: the package is purged, and the user and group
# sshplex are deleted if this script's installation made them. Refuses to run when a sshplex
# package or /usr/bin/sshplex is already there. Needs root (dpkg -i); skips with a message otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

if [ "$(id -u)" -ne 0 ]; then
  echo "==> package check skipped: installing a .deb needs root"
  exit 0
fi

package_state() { dpkg-query -W -f='${db:Status-Status}' sshplex 2>/dev/null || true; }
case "$(package_state)" in
  ''|not-installed) ;;
  *) echo "package-check: a sshplex package is on this machine ($(package_state)); not touching it" >&2
     exit 1 ;;
esac
if [ -e /usr/bin/sshplex ]; then
  echo "package-check: /usr/bin/sshplex exists and belongs to no package; not touching it" >&2
  exit 1
fi

if [ $# -ge 1 ]; then
  # A build directory that is already configured and built (scripts/test.sh passes the dev build, so
  # the test run does not compile everything once more): packed as it is.
  build=$1
  if [ ! -f "$build/CPackConfig.cmake" ]; then
    echo "package-check: $build is not a configured build directory" >&2
    exit 1
  fi
  echo "==> packing the build in $build"
else
  build=build/package
  echo "==> building the package ($build)"
  # ccache when present; an empty launcher otherwise, so a cached one that vanished does no harm.
  launcher=
  if command -v ccache >/dev/null; then launcher=ccache; fi
  # -O2 as the release preset (benchmarked, and warning-free under -Werror there) and as Debian
  # builds; CMake's Release default is -O3. No -g: the package's binary is stripped.
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSSHPLEX_TESTS=OFF \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" >/dev/null
  cmake --build "$build" -j "$(nproc)"
fi
rm -f "$build"/sshplex_*.deb
(cd "$build" && cpack -G DEB)
debs=("$build"/sshplex_*.deb)
if [ "${#debs[@]}" -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  echo "package-check: expected one sshplex_*.deb in $build, found: ${debs[*]}" >&2
  exit 1
fi
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
echo "==> package built: $deb ($((SECONDS - started)) s so far)"

user_existed=0; group_existed=0; etc_existed=0; example_existed=0
getent passwd sshplex >/dev/null && user_existed=1
getent group sshplex >/dev/null && group_existed=1
[ -e /etc/sshplex ] && etc_existed=1
[ -e /etc/sshplex/example.conf ] && example_existed=1
work=$(mktemp -d)
cleanup() {
  if [ "$example_existed" = 0 ]; then rm -f /etc/sshplex/example.conf; fi
  case "$(package_state)" in
    ''|not-installed) ;;
    *) dpkg --purge sshplex >/dev/null || echo "package-check: dpkg --purge sshplex failed" >&2 ;;
  esac
  if [ "$user_existed" = 0 ] && getent passwd sshplex >/dev/null; then
    userdel sshplex || echo "package-check: userdel sshplex failed" >&2
  fi
  if [ "$group_existed" = 0 ] && getent group sshplex >/dev/null; then
    groupdel sshplex || echo "package-check: groupdel sshplex failed" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
ok() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*" >&2; failures=$((failures + 1)); }

echo "==> dpkg -i $deb"
dpkg -i "$deb"

echo "==> checking the installed package"
if out=$(/usr/bin/sshplex -V 2>&1) && [[ "$out" == "sshplex $version "* ]]; then
  ok "/usr/bin/sshplex -V: $out"
else
  fail "/usr/bin/sshplex -V printed '$out', expected 'sshplex $version ...'"
fi

# The demo: a throwaway sshd on loopback, a forward through it, a checked round trip.
if (cd / && timeout 120 /usr/bin/sshplex) >"$work/demo.out" 2>&1 && grep -q 'OK: the tunnel works' "$work/demo.out"; then
  ok "the demo from /usr/bin/sshplex:"
  sed 's/^/      /' "$work/demo.out"
else
  fail "the demo from /usr/bin/sshplex:"
  sed 's/^/      /' "$work/demo.out" >&2
fi

dpkg -L sshplex >"$work/files"
expected=(/usr/bin/sshplex /lib/systemd/system/sshplex.service /lib/systemd/system/sshplex@.service
          /usr/lib/sysusers.d/sshplex.conf /usr/share/doc/sshplex/README.md)
for conf in conf/*.conf; do expected+=("/usr/share/doc/sshplex/examples/${conf#conf/}"); done
# Man pages: whatever docs/man holds must be in the package, and man must find it once installed
# (unless dpkg is configured not to unpack man pages, as in slimmed container images).
dpkg-deb -c "$deb" | awk '{ print substr($6, 2) }' >"$work/contents"
man_pages=0; man_found=0
for page in docs/man/*.[1-8]; do
  [ -f "$page" ] || continue
  man_pages=$((man_pages + 1))
  name=$(basename "$page"); section=${name##*.}
  packaged=$(grep -E "^/usr/share/man/man$section/${name//./\\.}(\\.gz)?$" "$work/contents" || true)
  if [ -z "$packaged" ]; then
    fail "man page $name is not in the package"
  elif [ -f "$packaged" ] && [ "$(man -w "$section" "${name%.*}" 2>/dev/null)" = "$packaged" ]; then
    ok "man page $packaged (man -w finds it)"
    man_found=$((man_found + 1))
  elif [ ! -e "$packaged" ] && grep -qs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/*; then
    ok "man page $packaged is in the package (dpkg's path-exclude kept it from the disk)"
  else
    fail "man page $packaged is in the package but man -w $section ${name%.*} does not find it"
  fi
done
[ "$man_pages" -eq 0 ] && echo "  (docs/man has no man pages: none expected)"
for f in "${expected[@]}"; do
  if grep -qxF "$f" "$work/files" && [ -f "$f" ]; then ok "$f"; else fail "$f is not installed by the package"; fi
done

if passwd_line=$(getent passwd sshplex) && getent group sshplex >/dev/null; then
  IFS=: read -r _ _ _ _ _ home shell <<<"$passwd_line"
  if [ "$home" = /var/lib/sshplex ] && [[ "$shell" == */nologin ]]; then
    ok "user sshplex (home $home, shell $shell) and group sshplex"
  else
    fail "user sshplex: home $home, shell $shell (expected /var/lib/sshplex and nologin)"
  fi
else
  fail "no user or group sshplex"
fi
if [ "$etc_existed" = 0 ]; then
  perms=$(stat -c '%U:%G %a' /etc/sshplex 2>/dev/null || echo missing)
  if [ "$perms" = "root:sshplex 750" ]; then ok "/etc/sshplex $perms"; else fail "/etc/sshplex is $perms, expected root:sshplex 750"; fi
fi

depends=$(dpkg-query -W -f='${Depends}' sshplex)
echo "  Depends: $depends"
names_in_depends() { [[ ", $depends," == *", $1 "* || ", $depends," == *", $1,"* || ", $depends," == *"| $1 "* ]]; }
for pkg in libc6 libssl3 libuv1 libc-ares2; do
  if names_in_depends "$pkg"; then ok "Depends names $pkg"; else fail "Depends does not name $pkg"; fi
done
# Every shared library the binary links directly (its NEEDED entries) comes from a package Depends
# names; what those libraries need in turn is their packages' business. dpkg knows a file by the
# path its package ships, /lib/... or /usr/lib/... (the same directory on a merged /usr).
owner_of() {
  local path alias found
  for path in "$1" "$(readlink -f "$1")"; do
    for alias in "$path" "${path#/usr}" "/usr$path"; do
      found=$(dpkg -S "$alias" 2>/dev/null | grep -v '^diversion' | head -n1 | cut -d: -f1) || true
      if [ -n "$found" ]; then echo "$found"; return; fi
    done
  done
}
while read -r lib; do
  owner=$(owner_of "$lib")
  if [ -z "$owner" ]; then fail "$lib belongs to no package"; continue; fi
  if names_in_depends "$owner"; then ok "$lib ($owner) is covered by Depends"; else fail "$lib ($owner) is not in Depends"; fi
done < <(needed=$(readelf -d /usr/bin/sshplex | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
          ldd /usr/bin/sshplex | awk -v needed=" $(echo $needed) " '$2 == "=>" && $3 ~ /^\// && index(needed, " " $1 " ") { print $3 }')

if command -v systemd-analyze >/dev/null; then
  # The template is verified as an instance; man pages are looked up when the package has them.
  man_check=no
  [ "$man_found" -gt 0 ] && man_check=yes
  mkdir "$work/units"
  ln -s /lib/systemd/system/sshplex@.service "$work/units/sshplex@example.service"
  if systemd-analyze verify --man="$man_check" "$work/units/sshplex@example.service" \
       /lib/systemd/system/sshplex.service >"$work/verify" 2>&1 && [ ! -s "$work/verify" ]; then
    ok "systemd-analyze verify --man=$man_check: the installed units"
  else
    fail "systemd-analyze verify --man=$man_check on the installed units:"
    cat "$work/verify" >&2
  fi
fi

# What sshplex@example.service would run, as its user, on the example installed as the README says.
if [ "$example_existed" = 0 ]; then
  install -o root -g sshplex -m 0640 /usr/share/doc/sshplex/examples/example.conf /etc/sshplex/example.conf
  exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/sshplex@.service | sed 's/%i/example/g')
  read -r -a argv <<<"$exec_start"
  if runuser -u sshplex -- "${argv[0]}" -G "${argv[@]:1}" >"$work/g.out" 2>&1; then
    ok "as user sshplex: ${argv[0]} -G ${argv[*]:1}"
  else
    fail "as user sshplex: ${argv[0]} -G ${argv[*]:1}:"
    cat "$work/g.out" >&2
  fi
  rm -f /etc/sshplex/example.conf
fi

# What the service writes in its home (as it would learn a host key there) goes with the purge.
install -d -o sshplex -g sshplex -m 0700 /var/lib/sshplex/.ssh
install -o sshplex -g sshplex -m 0600 /dev/null /var/lib/sshplex/.ssh/known_hosts
echo "==> dpkg --purge sshplex"
dpkg --purge sshplex
left=()
for f in "${expected[@]}"; do [ -e "$f" ] && left+=("$f"); done
if [ "$etc_existed" = 0 ] && [ -e /etc/sshplex ]; then left+=(/etc/sshplex); fi
[ -e /var/lib/sshplex ] && left+=(/var/lib/sshplex)
state=$(package_state)
if [ "${#left[@]}" -eq 0 ] && { [ -z "$state" ] || [ "$state" = not-installed ]; }; then
  ok "purged: /usr/bin/sshplex and the package's files are gone"
else
  fail "after dpkg --purge: still there: ${left[*]} (package state: $state)"
fi

if [ "$failures" -ne 0 ]; then
  echo "==> package check FAILED ($failures failures, $((SECONDS - started)) s)" >&2
  exit 1
fi
echo "==> package check passed ($((SECONDS - started)) s)"
