"""Metric 10: the control socket, sshplex's master beside OpenSSH's on the same sshd.

That sshd keeps OpenSSH's default MaxSessions (10), the limit every ssh master lives with.
Passengers are stock `ssh -S sock` processes; they name the real port and know the host key, so an
OpenSSH passenger the master refuses falls back to a connection of its own, as it would in use.
They log in as a bench user whose shell is /bin/sh with no start-up files, so the figures are the
masters' and not whatever the invoking user's ~/.bashrc runs on every session.
"""

import os
import pwd
import shutil
import statistics
import subprocess
import threading
import time

from . import clients, procs, report
from .metrics import AES, alternate, measured
from .sshd import Sshd

MUX_SIZES = {"passenger_count": 40, "concurrent": 100, "concurrent_bytes": 10_000_000,
             "scp_bytes": 1_000_000_000}


def quick(sizes):
    return {"passenger_count": 10, "concurrent": 30, "concurrent_bytes": 2_000_000,
            "scp_bytes": 125_000_000} if sizes.get("bulk_bytes", 0) < 2_000_000_000 else dict(MUX_SIZES)


BENCH_USER = "sshplex-bench"
BENCH_HOME = "/var/lib/sshplex-bench"


def ensure_bench_user():
    """The passengers' login: created once (a system user, /bin/sh, its home for scp's target)."""
    try:
        pwd.getpwnam(BENCH_USER)
    except KeyError:
        done = subprocess.run(["useradd", "--system", "--home-dir", BENCH_HOME, "--create-home", "--shell", "/bin/sh",
                               BENCH_USER], capture_output=True, timeout=30)
        if done.returncode != 0:
            raise procs.ToolError("useradd: " + done.stderr.decode(errors="replace").strip())
        # "!" (locked) would make sshd refuse even key logins; "*" only rules out passwords.
        subprocess.run(["usermod", "-p", "*", BENCH_USER], capture_output=True, timeout=30, check=True)
    entry = pwd.getpwnam(BENCH_USER)
    os.makedirs(entry.pw_dir, exist_ok=True)
    os.chown(entry.pw_dir, entry.pw_uid, entry.pw_gid)
    return entry.pw_dir


class MuxBench:
    """A second sshd with the stock MaxSessions, and how to start masters and passengers on it."""

    def __init__(self, bench):
        self.bench = bench
        self.workdir = os.path.join(bench.workdir, "mux")
        os.makedirs(self.workdir, exist_ok=True)
        self.home = ensure_bench_user()
        # sshd reads authorized_keys as the bench user: the path must be traversable, the file readable.
        for d in (bench.workdir, self.workdir):
            os.chmod(d, 0o711)
        self.sshd = Sshd(self.workdir, max_sessions=10)
        os.chmod(os.path.join(self.workdir, "authorized_keys"), 0o644)
        self.sshd.start()
        self.ssh = bench.ssh.path
        self.sizes = quick(bench.sizes)

    def stop(self):
        self.sshd.stop()

    def passenger(self, sock, command, extra=()):
        return [self.ssh, "-F", "/dev/null", "-S", sock, "-o", "ControlMaster=no", "-p", str(self.sshd.port),
                "-i", self.sshd.user_key, "-o", f"UserKnownHostsFile={self.sshd.known_hosts}",
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
                "-o", f"KexAlgorithms={clients.KEX}", "-o", f"Ciphers={AES}", "-l", BENCH_USER, *extra, "127.0.0.1",
                *command]

    def master(self, client, sock):
        argv = clients.command(client, self.sshd, self.sshd.port, AES, ["-M", "-S", sock, "-l", BENCH_USER])
        log = os.path.join(self.workdir, f"master-{client.name}-{time.monotonic_ns()}.log")
        proc = procs.Proc(f"{client.name} master", argv, log)
        deadline = time.monotonic() + clients.READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if not proc.alive():
                raise procs.ToolError(proc.describe_exit())
            if os.path.exists(sock):
                done = subprocess.run(self.passenger(sock, [], ["-O", "check"]), capture_output=True, timeout=10,
                                      stdin=subprocess.DEVNULL)
                if done.returncode == 0:
                    clients.wait_pool(proc, client, self.sshd.port)
                    return proc
            time.sleep(0.02)
        proc.stop()
        raise procs.ToolError(f"{client.name} master: no control socket after {clients.READY_TIMEOUT_S:.0f} s")


def passenger_latency(mux, sock, count):
    """Wall time of `ssh -S sock host true`, sequential; the first 3 are warm-up."""
    times = []
    for i in range(count + 3):
        started = time.monotonic()
        done = subprocess.run(mux.passenger(sock, ["true"]), capture_output=True, timeout=30,
                              stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            raise procs.ToolError(f"passenger failed: {done.stderr.decode(errors='replace').strip()}")
        if i >= 3:
            times.append(elapsed * 1000.0)
    return statistics.median(times)


def concurrent_transfer(mux, sock, count, size):
    """`count` passengers at once, each reading `size` bytes from the server; (ok, MB/s overall)."""
    command = [f"head -c {size} /dev/zero"]
    started = time.monotonic()
    children = [subprocess.Popen(mux.passenger(sock, command), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL) for _ in range(count)]
    received = [0] * count

    def drain(i):
        while True:
            chunk = children[i].stdout.read(1 << 16)
            if not chunk:
                return
            received[i] += len(chunk)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    ok = 0
    for i, child in enumerate(children):
        child.wait(timeout=60)
        ok += 1 if child.returncode == 0 and received[i] == size else 0
    elapsed = time.monotonic() - started
    return ok, sum(received) / elapsed / 1e6


class RoundTrips:
    """An interactive passenger (`cat`) whose 1-byte round trip is timed every 20 ms."""

    def __init__(self, mux, sock):
        self.proc = subprocess.Popen(mux.passenger(sock, ["cat"]), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.samples = []

    def sample(self, seconds):
        deadline = time.monotonic() + seconds
        taken = []
        while time.monotonic() < deadline:
            started = time.monotonic()
            self.proc.stdin.write(b"x")
            self.proc.stdin.flush()
            if self.proc.stdout.read(1) != b"x":
                raise procs.ToolError("interactive passenger: no echo")
            taken.append((time.monotonic() - started) * 1000.0)
            time.sleep(0.02)
        return taken

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def scp_with_interactive(mux, sock, size, big_file):
    """scp of `big_file` through the master while an interactive passenger is timed: (MB/s, idle
    p50 ms, p50 ms during the copy)."""
    trips = RoundTrips(mux, sock)
    try:
        idle = trips.sample(1.0)
        target = os.path.join(mux.home, "scp.out")
        argv = [shutil.which("scp") or "/usr/bin/scp", "-q", "-F", "/dev/null", "-o", f"ControlPath={sock}",
                "-o", "ControlMaster=no", "-P", str(mux.sshd.port), "-i", mux.sshd.user_key,
                "-o", f"UserKnownHostsFile={mux.sshd.known_hosts}", "-o", "BatchMode=yes", big_file,
                f"{BENCH_USER}@127.0.0.1:{target}"]
        started = time.monotonic()
        copy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        busy = []
        while copy.poll() is None:
            busy += trips.sample(0.5)
        elapsed = time.monotonic() - started
        if copy.returncode != 0:
            raise procs.ToolError(f"scp failed: {copy.stderr.read().decode(errors='replace').strip()}")
        if os.path.getsize(target) != size:
            raise procs.ToolError("scp: size mismatch")
        os.unlink(target)
        return size / elapsed / 1e6, statistics.median(idle), statistics.median(busy) if busy else statistics.median(idle)
    finally:
        trips.stop()


def mux_rows(bench):
    """Metric 10: passenger start-up, 100 concurrent passengers, scp beside an interactive one."""
    latency = report.Row("10.passenger", "10 passenger `ssh -S sock host true`, p50", "ms", report.at_most(0.8))
    concurrent = report.Row("10.concurrent", "10 concurrent passengers moving 10 MB each", "MB/s",
                            report.at_least(1.0))
    scp = report.Row("10.scp", "10 scp through the master", "MB/s", report.at_least(1.0))
    interactive = report.Row("10.interactive", "10 interactive round trip during scp / idle", "x",
                             report.absolute_at_most(2.0, "sshplex < 2x its idle round trip"), digits=2)
    rows = [latency, concurrent, scp, interactive]

    def body():
        mux = MuxBench(bench)
        sizes = mux.sizes
        big_file = os.path.join(mux.workdir, "big")
        with open(big_file, "wb") as f:
            f.truncate(sizes["scp_bytes"])  # sparse: reading it costs no disk
        try:
            for client in alternate(bench.reps, [bench.ssh, bench.sshplex]):
                sock = os.path.join(mux.workdir, f"ctl-{client.name}")
                master = mux.master(client, sock)
                try:
                    latency.add(client.name, passenger_latency(mux, sock, sizes["passenger_count"]))
                    ok, rate = concurrent_transfer(mux, sock, sizes["concurrent"], sizes["concurrent_bytes"])
                    if ok != sizes["concurrent"]:
                        concurrent.notes.append(f"{client.name}: {ok} of {sizes['concurrent']} passengers succeeded")
                    concurrent.add(client.name, rate)
                    mb_per_s, idle, busy = scp_with_interactive(mux, sock, sizes["scp_bytes"], big_file)
                    scp.add(client.name, mb_per_s)
                    interactive.add(client.name, busy / idle)
                finally:
                    master.stop()
                    if os.path.exists(sock):
                        os.unlink(sock)
        finally:
            mux.stop()
            os.unlink(big_file)

    return measured(rows, body)
