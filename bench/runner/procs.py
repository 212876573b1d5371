"""Child processes of the runner: start, stop, read results, inspect through /proc.

Every child is registered so that nothing outlives the runner: an atexit hook and the
SIGTERM/SIGINT handlers stop whatever is still running.
"""

import atexit
import json
import os
import resource
import select
import signal
import subprocess
import time

STOP_GRACE_S = 5.0

_live = []


class ToolError(Exception):
    """A child failed: it exited non-zero, timed out, died, or printed something unexpected."""


def _raise_nofile():
    # 10,000 held channels need ~10k descriptors in sshd, the client and the tools alike.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Proc:
    """A long-running child whose stderr goes to a file (a pipe nobody reads could fill and block it)."""

    def __init__(self, name, argv, stderr_path, stdin=subprocess.DEVNULL):
        self.name = name
        self.argv = argv
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "wb")
        self.popen = subprocess.Popen(
            argv, stdin=stdin, stdout=subprocess.PIPE, stderr=self._stderr,
            preexec_fn=_raise_nofile, close_fds=True)
        self._buffer = b""
        _live.append(self)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stderr_tail(self, limit=600):
        try:
            with open(self.stderr_path, "rb") as f:
                text = f.read().decode(errors="replace").strip()
        except OSError:
            return ""
        return text[-limit:]

    def describe_exit(self):
        tail = self.stderr_tail()
        return f"{self.name} exited with status {self.popen.returncode}" + (f": {tail}" if tail else "")

    def read_json_line(self, timeout, watch=None):
        """Waits for one JSON line on stdout; fails if the child exits or the time runs out first,
        or, if `watch` is another Proc, as soon as that one dies (the client a tool measures)."""
        deadline = time.monotonic() + timeout
        fd = self.popen.stdout.fileno()
        while b"\n" not in self._buffer:
            if watch is not None and not watch.alive():
                raise ToolError(watch.describe_exit())
            left = deadline - time.monotonic()
            if left <= 0:
                raise ToolError(f"{self.name}: no output within {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.popen.wait(timeout=STOP_GRACE_S)
                raise ToolError(self.describe_exit())
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return parse_json(self.name, line)

    def stop(self):
        """SIGTERM, then SIGKILL if it is still there after the grace period."""
        if self.alive():
            try:
                self.popen.send_signal(signal.SIGTERM)
                self.popen.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=STOP_GRACE_S)
            except ProcessLookupError:
                pass
        for stream in (self.popen.stdout, self.popen.stdin):
            if stream:
                stream.close()
        self._stderr.close()
        if self in _live:
            _live.remove(self)


def parse_json(name, line):
    try:
        value = json.loads(line)
    except ValueError:
        raise ToolError(f"{name}: not JSON: {line[:200]!r}") from None
    if not isinstance(value, dict):
        raise ToolError(f"{name}: expected a JSON object, got {line[:200]!r}")
    return value


def run_json(name, argv, timeout):
    """Runs a tool to completion and returns the one JSON object it prints."""
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, preexec_fn=_raise_nofile, close_fds=True)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{name}: still running after {timeout:.0f} s (killed)") from None
    err = done.stderr.decode(errors="replace").strip()
    if done.returncode != 0:
        raise ToolError(f"{name} exited with status {done.returncode}" + (f": {err[-600:]}" if err else ""))
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    if not lines:
        raise ToolError(f"{name}: printed no result" + (f" ({err[-300:]})" if err else ""))
    return parse_json(name, lines[-1])


def stop_all():
    for proc in reversed(list(_live)):
        try:
            proc.stop()
        except Exception:  # cleanup must reach every child even if one misbehaves
            pass


def _signal_exit(signum, _frame):
    # Turned into an exception so that every finally block (and then atexit) runs.
    raise SystemExit(128 + signum)


def install_cleanup():
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _signal_exit)
    signal.signal(signal.SIGINT, _signal_exit)


def _stat_fields(pid):
    """/proc/PID/stat from field 3 (state) on; None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses; fields after it are plain.
    return stat[stat.rindex(")") + 2:].split()


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), from /proc/PID/stat fields 14 and 15."""
    fields = _stat_fields(pid)
    if fields is None:
        raise ToolError(f"pid {pid}: gone from /proc")
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root):
    """CPU seconds spent so far by root and every descendant, including descendants already reaped.

    Sums utime + stime + cutime + cstime (stat fields 14-17) over root and the processes below it
    (found through ppid chains). A child that exits and is waited for by its parent moves its times
    into the parent's cutime/cstime, so the sum does not drop when processes come and go, and the
    difference of two samples counts processes that started or ended in between. Not counted: a
    descendant whose parent exits first (it is re-parented out of the tree), and a reap that
    happens in the middle of one scan (it may be seen on both sides or neither).
    """
    parent_of, ticks = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(entry)
        if fields is None:
            continue
        pid = int(entry)
        parent_of[pid] = int(fields[1])
        ticks[pid] = sum(int(value) for value in fields[11:15])
    total = 0
    for pid in ticks:
        walk = pid
        # ppid chains end at 0 (init, kthreadd); the step bound guards against a pid reused mid-scan.
        for _ in range(64):
            if walk == root:
                total += ticks[pid]
                break
            walk = parent_of.get(walk, 0)
            if walk == 0:
                break
    return total / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    """User + system CPU of this runner's children that have been waited for (RUSAGE_CHILDREN)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise ToolError(f"pid {pid}: no VmRSS in /proc status")


def children_of(pid):
    """Direct children of pid (sshd's per-connection processes put themselves in new sessions)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry))
    return found


def established_to_port(pid, port):
    """How many of pid's TCP sockets are established to 127.0.0.1:port."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return 0
    count = 0
    with open(f"/proc/{pid}/net/tcp") as f:
        next(f)
        for line in f:
            cols = line.split()
            remote_port = int(cols[2].split(":")[1], 16)
            if remote_port == port and cols[3] == "01" and cols[9] in inodes:
                count += 1
    return count
