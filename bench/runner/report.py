"""Result rows, the printed table and the JSON file.

One convention for every row: ratio = sshplex / ssh. A target is either on that ratio, or (for the
rows whose goal is absolute) on sshplex's own figure.
"""

import json
import os
import platform
import statistics
import subprocess
import sys


class Target:
    def __init__(self, subject, op, value, text):
        self.subject = subject  # "ratio" or "sshplex"
        self.op = op            # ">=" or "<="
        self.value = value
        self.text = text

    def met(self, row):
        figure = row.ratio() if self.subject == "ratio" else row.sshplex
        if figure is None:
            return None
        return figure >= self.value if self.op == ">=" else figure <= self.value


def at_least(ratio):
    return Target("ratio", ">=", ratio, f"ratio >= {ratio:g}x")


def at_most(ratio):
    return Target("ratio", "<=", ratio, f"ratio <= {ratio:g}x")


def absolute_at_most(value, text):
    return Target("sshplex", "<=", value, text)


class ServerSide:
    """CPU of everything but the client (sshd's processes, `sshplex-bench server`, the load tool) in
    the same runs as a row, per unit of work (per GB moved, per SOCKS open). Every run keeps its
    parts; the per-client figures are medians of the runs' totals."""

    def __init__(self, unit, digits):
        self.unit = unit
        self.digits = digits
        self.runs = {"ssh": [], "sshplex": []}

    def add(self, client_name, parts):
        self.runs[client_name].append(parts)

    def median(self, client_name, key="total"):
        values = [run[key] for run in self.runs[client_name]]
        return statistics.median(values) if values else None

    def to_json(self):
        return {"unit": self.unit, "ssh": self.median("ssh"), "sshplex": self.median("sshplex"),
                "runs": self.runs}

    def text(self):
        def one(name):
            total = self.median(name)
            if total is None:
                return f"{name} -"
            parts = ", ".join(f"{key} {_fmt(self.median(name, key), self.digits)}"
                              for key in self.runs[name][0] if key != "total")
            return f"{name} {_fmt(total, self.digits)} ({parts})"
        return f"server side {self.unit}: {one('ssh')}; {one('sshplex')}"


class Reachable:
    """How far a row's target can be reached at all, from figures measured in the same run: the
    ratio itself ("ratio") and the words printed next to the target ("text"), or why it is missing."""

    def __init__(self, ratio=None, text=None, facts=None, error=None):
        self.ratio = ratio
        self.text = text
        self.facts = facts or {}
        self.error = error

    def to_json(self):
        return {"ratio": self.ratio, "text": self.text, **self.facts, "error": self.error}


class Row:
    def __init__(self, row_id, name, unit, target=None, digits=1, baseline=None):
        self.id = row_id
        # bench/vpn.py: what the "ssh" column holds (ssh -L, sshuttle, sshplex -D); None for run.py.
        self.baseline = baseline
        self.name = name
        self.unit = unit
        self.target = target
        self.digits = digits
        self.runs = {"ssh": [], "sshplex": []}
        self.error = None
        self.notes = []
        # bench/vpn.py: runs that failed while the others of the row went on ("client: why"); a row
        # with any is not met, and its figures are the medians of the runs that worked.
        self.run_failures = []
        self.ssh = None
        self.sshplex = None
        # Rows 1, 2 and 4 only: the server side's CPU in the same runs, and the reachable ratio.
        self.server_side = None
        self.reachable = None
        self.show_server_side = False

    def add(self, client_name, value):
        self.runs[client_name].append(value)
        # Progress on stderr: a full run takes a while, and a stuck one should show where.
        print(f"  {self.id} {client_name}: {value:.{self.digits + 1}f} {self.unit}", file=sys.stderr, flush=True)

    def finish(self):
        """Medians of the runs; call once all runs are in."""
        if self.error is None:
            self.ssh = statistics.median(self.runs["ssh"]) if self.runs["ssh"] else None
            self.sshplex = statistics.median(self.runs["sshplex"]) if self.runs["sshplex"] else None
        return self

    def fail(self, error):
        self.error = str(error) or type(error).__name__
        return self

    def ratio(self):
        if self.ssh in (None, 0) or self.sshplex is None:
            return None
        return self.sshplex / self.ssh

    def met(self):
        if self.error is not None or self.run_failures:
            return False
        return None if self.target is None else self.target.met(self)

    def to_json(self):
        return {
            "id": self.id, "name": self.name, "unit": self.unit,
            "ssh": self.ssh, "sshplex": self.sshplex, "ratio": self.ratio(),
            "target": self.target.text if self.target else None, "met": self.met(),
            "runs": self.runs, "error": self.error, "notes": self.notes,
            **({"baseline": self.baseline} if self.baseline else {}),
            **({"run_failures": self.run_failures} if self.run_failures else {}),
            **({"server_side": self.server_side.to_json()} if self.server_side else {}),
            **({"reachable": self.reachable.to_json()} if self.reachable else {}),
        }

    def target_cell(self):
        text = self.target.text if self.target else "(informative)"
        if self.reachable is not None and self.reachable.text:
            text += f" ({self.reachable.text})"
        return text


def _command_output(argv):
    try:
        done = subprocess.run(argv, capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout + done.stderr).decode(errors="replace").strip() or None


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def load_average():
    """The 1-minute load average: a busy machine explains noisy figures."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def source_commit(binary):
    """Commit of the git checkout the binary lives in (a build directory inside a checkout), flagged
    when that checkout has uncommitted changes: they may be in the binary."""
    where = os.path.dirname(os.path.realpath(binary))
    commit = _command_output(["git", "-C", where, "rev-parse", "--short=12", "HEAD"])
    if commit is None or " " in commit:
        return "unknown (not built inside a git checkout)"
    dirty = _command_output(["git", "-C", where, "status", "--porcelain", "--untracked-files=no"])
    return commit + (" (checkout has uncommitted changes)" if dirty else "")


def machine_facts(ssh_path, sshplex_path):
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "openssh": _command_output([ssh_path, "-V"]),
        "sshplex": _command_output([sshplex_path, "-V"]),
        "sshplex_commit": source_commit(sshplex_path),
        "python": platform.python_version(),
        "load_average_at_start": load_average(),
    }


def _fmt(value, digits):
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


def _met_text(row):
    met = row.met()
    if row.error is not None:
        return "FAILED"
    if row.run_failures:
        return f"NO ({len(row.run_failures)} run{'s' if len(row.run_failures) > 1 else ''} failed)"
    return {True: "yes", False: "NO", None: "-"}[met]


def table(rows, columns=("ssh", "sshplex")):
    header = ["metric", *columns, "ratio", "target", "met?"]
    lines = []
    for row in rows:
        ratio = row.ratio()
        lines.append([f"{row.name} [{row.unit}]", _fmt(row.ssh, row.digits), _fmt(row.sshplex, row.digits),
                      "-" if ratio is None else f"{ratio:.2f}x",
                      row.target_cell(), _met_text(row)])
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
              for i, h in enumerate(header)]
    out = []
    for cells in [header, ["-" * w for w in widths], *lines]:
        out.append(" | ".join(c.ljust(w) if i == 0 or i == 4 else c.rjust(w)
                              for i, (c, w) in enumerate(zip(cells, widths))).rstrip())
    for row in rows:
        if row.error:
            out.append(f"  {row.id} failed: {row.error}")
        for failure in row.run_failures:
            out.append(f"  {row.id} run failed: {failure}")
        for note in row.notes:
            out.append(f"  {row.id}: {note}")
        if row.server_side is not None and row.show_server_side:
            out.append(f"  {row.id}: {row.server_side.text()}")
        if row.reachable is not None and row.reachable.error:
            out.append(f"  {row.id}: reachable ratio not measured: {row.reachable.error}")
        elif row.reachable is not None and row.reachable.facts.get("explain"):
            out.append(f"  {row.id}: {row.reachable.facts['explain']}")
    return "\n".join(out)


def header_text(machine, command, date,
                ratio_text="ratio = sshplex / ssh on every row (targets are stated in the same terms)"):
    facts = {"date": date, "command": command, **machine}
    width = max(len(key) for key in facts) + 2
    lines = [f"{key + ':':{width}}{value}" for key, value in facts.items()]
    lines.append(ratio_text)
    return "\n".join(lines)


def write_json(path, machine, command, date, rows, settings):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    document = {"machine": machine, "command": command, "date": date, "settings": settings,
                "metrics": [row.to_json() for row in rows]}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
