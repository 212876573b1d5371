#!/bin/sh
# Runs one libFuzzer target for a few seconds on a scratch copy of its seed corpus.
# usage: run_fuzzer.sh <fuzzer-binary> <seed-corpus-dir> <seconds>
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$2"/. "$work"/ 2>/dev/null || true
exec "$1" -max_total_time="$3" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$work"
