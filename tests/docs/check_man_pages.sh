#!/usr/bin/env bash
# The manual pages render without a single warning from man(1), and `cmake --install` puts them
# where man -w finds them.
#   check_man_pages.sh <source dir of the pages> <build dir> <cmake>
# Exits 77 (ctest: skipped) when man or groff is not installed.
set -euo pipefail

pages_dir=$1
build_dir=$2
cmake=${3:-cmake}
pages=(sshplex.1 sshplex_config.5)

for tool in man groff; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (Debian: apt-get install man-db groff-base)"
    exit 77
  fi
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0

# Renders one page as a user's terminal would; anything on standard error is a failure.
render() {
  local page=$1 out=$2
  local status=0
  LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >"$out" 2>"$scratch/stderr" || status=$?
  if [ "$status" -ne 0 ] || [ -s "$scratch/stderr" ]; then
    echo "FAIL: man -l $page (status $status):"
    cat "$scratch/stderr"
    failed=1
  elif [ ! -s "$out" ]; then
    echo "FAIL: man -l $page printed nothing"
    failed=1
  else
    echo "ok: $page renders without warnings ($(wc -l <"$out") lines)"
  fi
}

for page in "${pages[@]}"; do
  render "$pages_dir/$page" "$scratch/${page}.txt"
done

# Install the pages alone into a scratch prefix, then ask man where it would look for them.
prefix="$scratch/prefix"
if ! "$cmake" --install "$build_dir" --prefix "$prefix" --component man >"$scratch/install.log" 2>&1; then
  echo "FAIL: cmake --install $build_dir --component man:"
  cat "$scratch/install.log"
  exit 1
fi
mandir=$(sed -n 's/^CMAKE_INSTALL_MANDIR:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
mandir=${mandir:-share/man}
case $mandir in /*) ;; *) mandir="$prefix/$mandir" ;; esac
for page in "${pages[@]}"; do
  section=${page##*.}
  name=${page%.*}
  installed="$mandir/man$section/$page"
  if ! cmp -s "$pages_dir/$page" "$installed"; then
    echo "FAIL: $page was not installed as $installed"
    find "$prefix" -type f | sed 's/^/  installed: /'
    failed=1
    continue
  fi
  found=$(MANPATH="$mandir" man -w "$section" "$name" 2>&1 || true)
  if [ "$found" != "$installed" ]; then
    echo "FAIL: MANPATH=$mandir man -w $section $name gave '$found', expected $installed"
    failed=1
    continue
  fi
  render "$installed" "$scratch/installed-${page}.txt"
  echo "ok: $page installed as $installed, where man -w finds it"
done

# Where the configured prefix would put them, and whether man searches there by default (a note:
# a prefix of one's own, such as /opt/sshplex, needs MANPATH).
configured=$(sed -n 's/^CMAKE_INSTALL_PREFIX:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
mandir=$(sed -n 's/^CMAKE_INSTALL_MANDIR:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
mandir=${mandir:-share/man}
case $mandir in /*) ;; *) mandir="$configured/$mandir" ;; esac
case ":$(manpath 2>/dev/null):" in
  *":$mandir:"*) echo "note: $mandir (this build's install location) is on man's search path" ;;
  *) echo "note: $mandir (this build's install location) is not on man's search path; set MANPATH" ;;
esac

exit "$failed"
