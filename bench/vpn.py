#!/usr/bin/env python3
"""Benchmarks sshplex's tun VPN beside `ssh -L`, sshuttle and sshplex's own `-D`, in three network
namespaces (client - server with sshd - target network).

    python3 bench/vpn.py [--reps N] [--quick] [--only 11,12,13,14] [--sshplex PATH] [--bench PATH]
                         [--ssh /usr/bin/ssh] [--sshuttle PATH] [--json bench/results/vpn.json] [--keep-logs]

Rows 11-14 of bench/README.md. Needs root (namespaces, the tun, sshd). Exits non-zero if any metric
failed to run; a target that is not met is a result, not a failure.
"""

import argparse
import datetime
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from runner import procs, report  # noqa: E402
from runner.clients import KEX  # noqa: E402
from runner.metrics import AES, alternate  # noqa: E402
from runner.sshd import Sshd  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_METRICS = ["11", "12", "13", "14"]

# The addresses exist only inside this run's namespaces, so fixed ones cannot clash with anything.
CLIENT_ADDR = "10.79.1.2"      # client ns, veth to the server
SERVER_ADDR = "10.79.1.1"      # server ns, sshd listens here
SERVER_TARGET_SIDE = "10.79.2.1"
TARGET_ADDR = "10.79.2.2"      # target ns: iperf3 -s and sshplex-bench server
TARGET_NET = "10.79.2.0/24"    # what the VPN and sshuttle route; the client has no other route to it
SSHD_PORT = 2222
IPERF_PORT = 5201
ECHO_PORT = 7007
SOCKS_PORT = 1080              # in the client ns
L_IPERF_PORT = 15201           # ssh -L listeners in the client ns
L_ECHO_PORT = 17007

NS_PREFIX = "sshplex-vb"
READY_TIMEOUT_S = 30.0
POOL_SIZE = 2                  # sshplex's default PoolSize, waited for like bench/run.py does

FULL = {"iperf_seconds": 10, "latency_count": 500, "flows": 1000}
QUICK = {"iperf_seconds": 3, "latency_count": 64, "flows": 1000}
PACED = 200                    # row 13's second variant: opens in flight at most (hold's default)
IPERF_CASES = [(1, "upload"), (1, "download"), (8, "upload"), (8, "download")]


def ip(*args, check=True):
    done = subprocess.run(["ip", *args], capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise procs.ToolError(f"ip {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode(errors="replace")


class Topology:
    """client <-veth-> server <-veth-> target. The server does not forward: its sshd connects to the
    target itself. Names carry this process's pid; namespaces left by a dead run are removed first."""

    def __init__(self):
        base = f"{NS_PREFIX}{os.getpid()}"
        self.client, self.server, self.target = base + "-cli", base + "-srv", base + "-tgt"
        self.created = []
        self.netns_etc = f"/etc/netns/{self.client}"

    @staticmethod
    def remove_stale():
        try:
            names = os.listdir("/run/netns")
        except OSError:
            return
        for name in names:
            if not name.startswith(NS_PREFIX):
                continue
            pid = name[len(NS_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                kill_pids_in(name)
                ip("netns", "del", name, check=False)
                shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)

    def create(self):
        self.remove_stale()
        for ns in (self.client, self.server, self.target):
            ip("netns", "add", ns)
            self.created.append(ns)
        ip("link", "add", "vb-c", "netns", self.client, "type", "veth", "peer", "name", "vb-s", "netns", self.server)
        ip("link", "add", "vb-st", "netns", self.server, "type", "veth", "peer", "name", "vb-t", "netns", self.target)
        for ns, dev, addr in ((self.client, "vb-c", CLIENT_ADDR), (self.server, "vb-s", SERVER_ADDR),
                              (self.server, "vb-st", SERVER_TARGET_SIDE), (self.target, "vb-t", TARGET_ADDR)):
            ip("-n", ns, "addr", "add", addr + "/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
        for ns in self.created:
            ip("-n", ns, "link", "set", "lo", "up")
        run_in(self.server, ["sysctl", "-qw", "net.ipv4.ip_forward=0"])
        # `ip netns exec` bind-mounts this over /etc/resolv.conf for everything in the client ns, so
        # nothing a client does to resolv.conf can reach the host's (the VPN runs with VpnDns=none).
        os.makedirs(self.netns_etc, exist_ok=True)
        with open(os.path.join(self.netns_etc, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\n")
        # The client's default gateway is the server, as on a real network (sshuttle's redirect needs a
        # route to exist), but the server does not forward: only a tunnel reaches the target. Checked.
        ip("-n", self.client, "route", "add", "default", "via", SERVER_ADDR)
        probe = subprocess.run(in_ns(self.client, ["python3", "-c", "import socket, sys; socket.create_connection("
                                                   f"(sys.argv[1], {ECHO_PORT}), timeout=1)", TARGET_ADDR]),
                               capture_output=True, timeout=10)
        if probe.returncode == 0:
            raise procs.ToolError(f"the client namespace reaches {TARGET_ADDR} without a tunnel")

    def delete(self):
        for ns in reversed(self.created):
            kill_pids_in(ns)
            ip("netns", "del", ns, check=False)
        self.created = []
        shutil.rmtree(self.netns_etc, ignore_errors=True)


def kill_pids_in(ns):
    """SIGKILLs whatever still runs in one of this run's namespaces (all started by this runner)."""
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, timeout=10).stdout.decode()
    for pid in out.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def in_ns(ns, argv):
    return ["ip", "netns", "exec", ns, *argv]


def run_in(ns, argv, timeout=30):
    done = subprocess.run(in_ns(ns, argv), capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise procs.ToolError(f"{' '.join(argv)} in {ns}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode(errors="replace")


def listening(ns, port):
    out = subprocess.run(in_ns(ns, ["ss", "-Hltn", f"sport = :{port}"]), capture_output=True, timeout=10)
    return out.returncode == 0 and bool(out.stdout.strip())


def wait_until(predicate, what, timeout=READY_TIMEOUT_S, proc=None):
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and not proc.alive():
            raise procs.ToolError(proc.describe_exit())
        if time.monotonic() > deadline:
            raise procs.ToolError(f"{what} after {timeout:.0f} s")
        time.sleep(0.05)


class Env:
    """The namespaces, the servers in them, and the command lines of the four clients."""

    def __init__(self, args, workdir, topo):
        self.args = args
        self.workdir = workdir
        self.topo = topo
        self.sizes = dict(QUICK if args.quick else FULL)
        self.sshd = Sshd(workdir, listen_address=SERVER_ADDR, port=SSHD_PORT,
                         wrapper=["ip", "netns", "exec", topo.server],
                         ready_probe=lambda: listening(topo.server, SSHD_PORT))

    def start_servers(self):
        self.sshd.start()
        self.start_iperf()
        self.echo = procs.Proc("server", in_ns(self.topo.target, [self.args.bench, "server", "--bind", TARGET_ADDR,
                                                                   "--echo", str(ECHO_PORT)]),
                               os.path.join(self.workdir, "server.log"))
        wait_until(lambda: listening(self.topo.target, ECHO_PORT), "the echo server not listening", proc=self.echo)

    def start_iperf(self):
        self.iperf = procs.Proc("iperf3 -s", in_ns(self.topo.target, ["iperf3", "-s", "-B", TARGET_ADDR, "-p",
                                                                       str(IPERF_PORT)]),
                                os.path.join(self.workdir, f"iperf3-s-{time.monotonic_ns()}.log"))
        wait_until(lambda: listening(self.topo.target, IPERF_PORT), "iperf3 -s not listening", proc=self.iperf)

    def restart_iperf(self):
        """After a failed run: iperf3 -s may still be inside the broken test and refuse the next ones."""
        self.iperf.stop()
        self.start_iperf()

    def stop_servers(self):
        for proc in (getattr(self, "echo", None), getattr(self, "iperf", None)):
            if proc is not None:
                proc.stop()
        self.sshd.stop()

    def ssh_options(self):
        """What the three SSH clients share (bench/run.py's command line, towards the server ns)."""
        return ["-F", "/dev/null", "-p", str(SSHD_PORT), "-i", self.sshd.user_key,
                "-o", f"UserKnownHostsFile={self.sshd.known_hosts}", "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", f"Ciphers={AES}",
                "-o", f"KexAlgorithms={KEX}"]

    # --- the clients: (label, argv, probe, pooled) ---

    def vpn(self):
        argv = [self.args.sshplex, *self.ssh_options(), "-N", "--vpn", TARGET_NET, "-o", "VpnDns=none", SERVER_ADDR]
        return "sshplex --vpn", argv, self.probe_direct(TARGET_ADDR, ECHO_PORT), True

    def socks(self):
        argv = [self.args.sshplex, *self.ssh_options(), "-N", "-o", "ExitOnForwardFailure=yes",
                "-D", f"127.0.0.1:{SOCKS_PORT}", SERVER_ADDR]
        return "sshplex -D", argv, self.probe_socks(), True

    def ssh_l(self):
        argv = [self.args.ssh, *self.ssh_options(), "-N", "-o", "ExitOnForwardFailure=yes",
                "-L", f"127.0.0.1:{L_IPERF_PORT}:{TARGET_ADDR}:{IPERF_PORT}",
                "-L", f"127.0.0.1:{L_ECHO_PORT}:{TARGET_ADDR}:{ECHO_PORT}", SERVER_ADDR]
        return "ssh -L", argv, self.probe_direct("127.0.0.1", L_ECHO_PORT), False

    def sshuttle(self):
        ssh_cmd = " ".join(shlex.quote(a) for a in [self.args.ssh, *self.ssh_options()])
        argv = [self.args.sshuttle, "-r", f"root@{SERVER_ADDR}:{SSHD_PORT}", "--ssh-cmd", ssh_cmd,
                "--disable-ipv6", *(["--no-latency-control"] if self.args.sshuttle_no_latency_control else []),
                TARGET_NET]
        return "sshuttle", argv, self.probe_direct(TARGET_ADDR, ECHO_PORT), False

    def probe_direct(self, host, port):
        return lambda: self.one_open(["--target", f"{host}:{port}"])

    def probe_socks(self):
        return lambda: self.one_open(["--proxy", f"127.0.0.1:{SOCKS_PORT}", "--target", f"{TARGET_ADDR}:{ECHO_PORT}"])

    def one_open(self, where):
        """A 1-byte echo from the client ns (the runner itself sits in the host's namespace)."""
        done = subprocess.run(in_ns(self.topo.client, [self.args.bench, "socks-latency", *where, "--count", "1",
                                                       "--warmup", "0", "--timeout", "3"]),
                              capture_output=True, timeout=15, stdin=subprocess.DEVNULL)
        return done.returncode == 0

    def start_client(self, spec):
        label, argv, probe, pooled = spec
        log = os.path.join(self.workdir, f"{label.replace(' ', '_')}-{time.monotonic_ns()}.log")
        proc = procs.Proc(label, in_ns(self.topo.client, argv), log)
        try:
            wait_until(probe, f"{label}: no echo through it", proc=proc)
            if pooled:
                # `ip netns exec` execs the client, so the pid and its /proc/PID/net/tcp are the client's.
                wait_until(lambda: procs.established_to_port(proc.pid, SSHD_PORT) >= POOL_SIZE,
                           f"{label}: fewer than {POOL_SIZE} connections up", timeout=10, proc=proc)
            time.sleep(0.3)
        except BaseException:
            self.stop_client(proc)
            raise
        return proc

    def stop_client(self, proc):
        """Stops the client, then anything it left in the client namespace (sshuttle's ssh and
        firewall helper), and removes sshuttle's redirect rules if its helper did not: a later
        client must not find connections to the target redirected to a dead port."""
        if proc.name == "sshuttle" and proc.alive():
            # sshuttle restores the firewall on SIGINT (KeyboardInterrupt), not on SIGTERM.
            proc.popen.send_signal(signal.SIGINT)
            try:
                proc.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        proc.stop()
        kill_pids_in(self.topo.client)
        if proc.name == "sshuttle":
            for table_args in (["-t", "nat", "-F"], ["-t", "nat", "-X"]):
                subprocess.run(in_ns(self.topo.client, ["iptables", *table_args]), capture_output=True, timeout=10)

    def client_cpu(self, proc):
        """CPU seconds of the client and everything it started (sshuttle's ssh and helper)."""
        return procs.tree_cpu_seconds(proc.pid)


# --- measurements ---

def iperf_once(env, host, port, streams, direction):
    """MB/s (1e6 bytes) as the receiver counted it, and the bytes moved."""
    seconds = env.sizes["iperf_seconds"]
    argv = ["iperf3", "-c", host, "-p", str(port), "-t", str(seconds), "-P", str(streams), "-J"]
    if direction == "download":
        argv.append("-R")
    for attempt in range(5):
        try:
            done = subprocess.run(in_ns(env.topo.client, argv), capture_output=True, timeout=seconds + 30,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise procs.ToolError(f"iperf3 still running {seconds + 30} s after a {seconds} s test (killed)") from None
        try:
            result = json.loads(done.stdout)
        except ValueError:
            raise procs.ToolError(f"iperf3: no JSON (status {done.returncode}): "
                                  f"{done.stderr.decode(errors='replace')[-300:]}") from None
        # iperf3 -s serves one test at a time and may still be closing the previous one.
        if "busy" not in result.get("error", "") or attempt == 4:
            break
        time.sleep(1)
    if "error" in result:
        raise procs.ToolError(f"iperf3: {result['error']}")
    received = result["end"]["sum_received"]
    return received["bits_per_second"] / 8e6, received["bytes"]


def iperf_target(label):
    return ("127.0.0.1", L_IPERF_PORT) if label == "ssh -L" else (TARGET_ADDR, IPERF_PORT)


def case_id(streams, direction):
    return f"{direction}.{streams}"


def throughput_rows(env, want, sshuttle_ok):
    """Rows 11 (VPN vs ssh -L) and 12 (VPN vs sshuttle): one fresh client per repetition runs the
    four iperf3 cases back to back; the VPN's runs feed both rows."""
    rows = {}
    for streams, direction in IPERF_CASES:
        what = f"{streams} stream{'s' if streams > 1 else ''} {direction}"
        if "11" in want:
            rows[("11", streams, direction)] = report.Row(
                f"11.{case_id(streams, direction)}", f"11 iperf3 VPN vs ssh -L, {what}", "MB/s",
                report.at_least(0.8), baseline="ssh -L")
        if "12" in want:
            rows[("12", streams, direction)] = report.Row(
                f"12.{case_id(streams, direction)}", f"12 iperf3 VPN vs sshuttle, {what}", "MB/s",
                report.at_least(20), baseline="sshuttle")
    specs = [env.vpn()]
    if "11" in want:
        specs.append(env.ssh_l())
    if "12" in want and sshuttle_ok:
        specs.append(env.sshuttle())
    if "12" in want and not sshuttle_ok:
        for key, row in rows.items():
            if key[0] == "12":
                row.fail("sshuttle is not installed (apt-get install sshuttle)")
    cpu = {}  # (label, case) -> [client CPU s/GB]

    def body():
        for spec in alternate(env.args.reps, specs):
            label = spec[0]
            proc = env.start_client(spec)
            try:
                for streams, direction in IPERF_CASES:
                    host, port = iperf_target(label)
                    case_rows = [row for (metric, s, d), row in rows.items()
                                 if (s, d) == (streams, direction) and row.error is None
                                 and label in ("sshplex --vpn", row.baseline)]
                    before = env.client_cpu(proc)
                    try:
                        mb_s, moved = iperf_once(env, host, port, streams, direction)
                    except procs.ToolError as error:
                        # One failed run fails its rows' targets but not the other runs: the client
                        # (which may reconnect by itself) goes on to the next case.
                        print(f"  {label} {case_id(streams, direction)}: failed: {error}", file=sys.stderr)
                        for row in case_rows:
                            row.run_failures.append(f"{label}: {error}")
                        env.restart_iperf()
                        continue
                    cpu.setdefault((label, streams, direction), []).append(
                        (env.client_cpu(proc) - before) / (moved / 1e9))
                    for row in case_rows:
                        row.add("sshplex" if label == "sshplex --vpn" else "ssh", mb_s)
                if not proc.alive():
                    raise procs.ToolError(f"{label} died during the measurement: {proc.describe_exit()}")
            finally:
                env.stop_client(proc)

    done = measured_rows(list(rows.values()), body)
    for (metric, streams, direction), row in rows.items():
        parts = []
        for label in ("sshplex --vpn", row.baseline):
            values = cpu.get((label, streams, direction))
            if values:
                parts.append(f"{label} {statistics.median(values):.2f}")
        if parts and row.error is None:
            row.notes.append("client CPU s/GB (all its processes): " + ", ".join(parts))
    return done


def measured_rows(rows, body):
    live = [row for row in rows if row.error is None]
    try:
        body()
    except Exception as error:  # noqa: BLE001 - recorded on the rows; the next metric still runs
        for row in live:
            row.fail(error)
    return [row.finish() for row in rows]


def hold_flows(env, proc, proxy, concurrency):
    """hold: `flows` connections, at most `concurrency` opening at a time, each confirmed by a 1-byte
    echo, all held open together; returns its ready line (held, failures, seconds)."""
    count = env.sizes["flows"]
    args = [env.args.bench, "hold", "--target", f"{TARGET_ADDR}:{ECHO_PORT}", "--count", str(count),
            "--concurrency", str(concurrency), "--timeout", "120"]
    if proxy:
        args[2:2] = ["--proxy", f"127.0.0.1:{SOCKS_PORT}"]
    hold = procs.Proc("hold", in_ns(env.topo.client, args), os.path.join(env.workdir, "hold.log"),
                      stdin=subprocess.PIPE)
    try:
        line = hold.read_json_line(100, watch=proc)
    finally:
        hold.stop()
    if line.get("ready") is not True:
        raise procs.ToolError(f"hold: unexpected line {line}")
    return line


def latency(env, proxy):
    count = env.sizes["latency_count"]
    args = [env.args.bench, "socks-latency", "--target", f"{TARGET_ADDR}:{ECHO_PORT}", "--count", str(count),
            "--timeout", "240"]
    if proxy:
        args[2:2] = ["--proxy", f"127.0.0.1:{SOCKS_PORT}"]
    return procs.run_json("socks-latency", in_ns(env.topo.client, args), 250)


def flows_and_latency_rows(env, want):
    """Rows 13 (1,000 concurrent flows) and 14 (sequential connect latency), the VPN beside sshplex -D:
    a fresh client per repetition runs the latency first, then the flows."""
    rows = []
    flow_rows = []  # (in flight, failed row, seconds row)
    if "13" in want:
        flows = env.sizes["flows"]
        for in_flight, tag, how in ((flows, "burst", "opened at once"), (PACED, "paced", f"{PACED} opening at a time")):
            failed = report.Row(f"13.{tag}.failures", f"13 {flows:,} concurrent flows {how}, failed", "flows",
                                report.absolute_at_most(0, "VPN: 0 failed"), digits=0, baseline="sshplex -D")
            seconds = report.Row(f"13.{tag}.seconds", f"13 {flows:,} concurrent flows {how}, all done", "s",
                                 digits=2, baseline="sshplex -D")
            flow_rows.append((in_flight, failed, seconds))
            rows += [failed, seconds]
    if "14" in want:
        p50 = report.Row("14.p50", "14 connect latency p50, VPN vs -D", "ms", report.at_most(1.2), digits=3,
                         baseline="sshplex -D")
        p99 = report.Row("14.p99", "14 connect latency p99, VPN vs -D", "ms", digits=3, baseline="sshplex -D")
        rows += [p50, p99]

    def body():
        for spec in alternate(env.args.reps, [env.vpn(), env.socks()]):
            label = spec[0]
            column = "sshplex" if label == "sshplex --vpn" else "ssh"
            proxy = label == "sshplex -D"
            proc = env.start_client(spec)
            try:
                if "14" in want:
                    result = latency(env, proxy)
                    if result["failures"]:
                        raise procs.ToolError(f"{label}: {result['failures']} opens failed")
                    p50.add(column, result["p50_ms"])
                    p99.add(column, result["p99_ms"])
                for in_flight, failed, seconds in flow_rows:
                    line = hold_flows(env, proc, proxy, in_flight)
                    failed.add(column, env.sizes["flows"] - line["held"])
                    seconds.add(column, line["seconds"])
                    time.sleep(1)  # the held flows close; let both ends settle before the next step
                if not proc.alive():
                    raise procs.ToolError(f"{label} died during the measurement: {proc.describe_exit()}")
            finally:
                env.stop_client(proc)

    done = measured_rows(rows, body)
    for _, failed, _ in flow_rows:
        if failed.error is None:
            # Every run must carry all of its flows: the worst run is the figure, not the median.
            for column in ("ssh", "sshplex"):
                if failed.runs[column]:
                    setattr(failed, column, max(failed.runs[column]))
            failed.notes.append("failed flows: the worst run of each client, not the median")
    return done


# --- main ---

def parse_args(argv):
    parser = argparse.ArgumentParser(description="sshplex --vpn beside ssh -L, sshuttle and sshplex -D")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per client and metric (default 3)")
    parser.add_argument("--quick", action="store_true", help="3 s iperf3 runs, 64 sequential connects")
    parser.add_argument("--only", default=",".join(ALL_METRICS), help="metrics to run, e.g. 11,14")
    parser.add_argument("--sshplex", default=os.path.join(REPO, "build/release/gateway/sshplex"))
    parser.add_argument("--bench", default=os.path.join(REPO, "build/release/bench/sshplex-bench"))
    parser.add_argument("--ssh", default="/usr/bin/ssh")
    parser.add_argument("--sshuttle", default=shutil.which("sshuttle") or "/usr/bin/sshuttle")
    # Off by default: without latency control sshuttle buffers hundreds of MB and iperf3's receiver
    # counts less in the test's window, not more (measured on this topology).
    parser.add_argument("--sshuttle-no-latency-control", action="store_true",
                        help="pass --no-latency-control to sshuttle")
    parser.add_argument("--json", default=os.path.join(REPO, "bench/results/vpn.json"))
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the clients' and servers' logs (their directory is printed at the end)")
    args = parser.parse_args(argv)
    wanted = {item.strip() for item in args.only.split(",") if item.strip()}
    if not wanted or wanted - set(ALL_METRICS):
        parser.error(f"--only takes metric numbers from {','.join(ALL_METRICS)}")
    args.only = wanted
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    for path in (args.sshplex, args.bench, args.ssh):
        if not os.access(path, os.X_OK):
            parser.error(f"not an executable: {path}")
    missing = [tool for tool in ("ip", "iperf3", "ss") if shutil.which(tool) is None]
    if missing:
        parser.error(f"not installed: {', '.join(missing)}")
    if os.geteuid() != 0:
        parser.error("must run as root (network namespaces, the tun device, sshd)")
    return args


def main(argv):
    args = parse_args(argv)
    procs.install_cleanup()
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    machine = report.machine_facts(args.ssh, args.sshplex)
    sshuttle_ok = os.access(args.sshuttle, os.X_OK)
    machine["sshuttle"] = (subprocess.run([args.sshuttle, "--version"], capture_output=True, text=True)
                           .stdout.strip() if sshuttle_ok else None)
    machine["iperf3"] = subprocess.run(["iperf3", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(report.header_text(machine, command, date,
                             "ratio = sshplex's figure (VPN) / the baseline's on every row"), flush=True)

    workdir = tempfile.mkdtemp(prefix="sshplex-vpnbench-")
    topo = Topology()
    env = None
    rows = []
    try:
        topo.create()
        env = Env(args, workdir, topo)
        env.start_servers()
        if args.only & {"11", "12"}:
            rows += throughput_rows(env, args.only, sshuttle_ok)
        if args.only & {"13", "14"}:
            rows += flows_and_latency_rows(env, args.only)
    except (procs.ToolError, OSError, subprocess.SubprocessError) as error:
        print(f"setup failed: {error}", file=sys.stderr)
        return 1
    finally:
        if env is not None:
            env.stop_servers()
        procs.stop_all()
        topo.delete()
        if args.keep_logs:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(report.table(rows, columns=("baseline", "sshplex")))
    machine["load_average_at_end"] = report.load_average()
    settings = {"reps": args.reps, "quick": args.quick, "only": sorted(args.only), "sizes": env.sizes,
                "sshplex": args.sshplex, "bench": args.bench, "ssh": args.ssh, "sshuttle": args.sshuttle,
                "cipher": AES, "kex": KEX, "target_network": TARGET_NET}
    report.write_json(args.json, machine, command, date, rows, settings)
    print(f"\nwrote {args.json}")
    failed = [row.id for row in rows if row.error is not None]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
