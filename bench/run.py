#!/usr/bin/env python3
"""Benchmarks sshplex against OpenSSH's client, side by side, on this machine.

    python3 bench/run.py [--reps N] [--quick] [--only 1,3,...] [--sshplex PATH] [--bench PATH]
                         [--ssh /usr/bin/ssh] [--json bench/results/latest.json]

Sets up a throwaway sshd and the load tools on loopback, runs the metrics described in
bench/README.md, prints a table and writes the same figures as JSON. Exits non-zero if any
metric failed to run (a target that is not met is a result, not a failure).
"""

import argparse
import datetime
import os
import shlex
import sys
import shutil
import subprocess
import tempfile

# The runner's modules are imported from the source tree; keep __pycache__ out of it.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from runner import clients, metrics, mux, procs, report  # noqa: E402
from runner.sshd import Sshd, free_port  # noqa: E402
from runner.tools import Tools  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_METRICS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description="sshplex vs OpenSSH benchmark")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per client and metric (default 3)")
    parser.add_argument("--quick", action="store_true", help="about 1/8 of the sizes and durations")
    parser.add_argument("--only", default=",".join(ALL_METRICS), help="metrics to run, e.g. 1,2,7")
    parser.add_argument("--sshplex", default=os.path.join(REPO, "build/release/gateway/sshplex"))
    parser.add_argument("--bench", default=os.path.join(REPO, "build/release/bench/sshplex-bench"))
    parser.add_argument("--ssh", default="/usr/bin/ssh")
    parser.add_argument("--json", default=os.path.join(REPO, "bench/results/latest.json"))
    args = parser.parse_args(argv)
    args.only = parse_only(parser, args.only)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    for path in (args.sshplex, args.bench, args.ssh):
        if not os.access(path, os.X_OK):
            parser.error(f"not an executable: {path}")
    return args


def parse_only(parser, text):
    wanted = {item.strip() for item in text.split(",") if item.strip()}
    unknown = wanted - set(ALL_METRICS)
    if unknown or not wanted:
        parser.error(f"--only takes metric numbers from {','.join(ALL_METRICS)}")
    return wanted


def run_metrics(bench, want):
    rows = []
    if want & {"1", "2"}:
        rows += metrics.bulk_rows(bench, want)
    # Metric 5 compares with metric 3's unloaded p50, so it brings 3 along.
    if want & {"3", "5"}:
        rows += metrics.socks_latency_rows(bench)
    if "4" in want:
        rows += metrics.opens_rate_rows(bench)
    if want & {"5", "6"}:
        rows += metrics.held_channels_rows(bench, want)
    if "7" in want:
        rows += metrics.ttfb_rows(bench)
    if "8" in want:
        rows += metrics.pool_rows(bench)
    if "9" in want:
        rows += metrics.delay_rows(bench)
    if "10" in want:
        rows += mux.mux_rows(bench)
    return rows


def bench_environment(args, workdir):
    """Starts sshd and the load server; returns the Bench (the caller stops them)."""
    ports = {name: free_port() for name in ("echo", "sink", "source", "greet", "relay")}
    sshd = Sshd(workdir, extra_known_ports=(ports["relay"],))
    sshd.start()
    tools = Tools(args.bench, workdir)
    server = tools.server(ports["echo"], ports["sink"], ports["source"], ports["greet"])
    sizes = metrics.quick_sizes() if args.quick else dict(metrics.FULL_SIZES)
    bench = metrics.Bench(sshd, tools, ports, clients.Client("ssh", args.ssh),
                          clients.Client("sshplex", args.sshplex), args.reps, sizes, workdir, server=server)
    return bench, server


def main(argv):
    args = parse_args(argv)
    procs.install_cleanup()
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    machine = report.machine_facts(args.ssh, args.sshplex)
    print(report.header_text(machine, command, date), flush=True)

    workdir = tempfile.mkdtemp(prefix="sshplex-bench-")
    bench = server = None
    try:
        bench, server = bench_environment(args, workdir)
        rows = run_metrics(bench, args.only)
    except (procs.ToolError, OSError, subprocess.SubprocessError) as error:
        print(f"setup failed: {error}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        if bench is not None:
            bench.sshd.stop()
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(report.table(rows))
    machine["load_average_at_end"] = report.load_average()
    settings = {"reps": args.reps, "quick": args.quick, "only": sorted(args.only), "sizes": bench.sizes,
                "sshplex": args.sshplex, "bench": args.bench, "ssh": args.ssh}
    report.write_json(args.json, machine, command, date, rows, settings)
    print(f"\nwrote {args.json}")
    failed = [row.id for row in rows if row.error is not None]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
