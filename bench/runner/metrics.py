"""The nine measurements. Each returns its result rows; a failure marks its rows failed and the
runner moves on.

Runs alternate the order of the clients from one repetition to the next, every run starts a fresh
client process, and each row reports the median of its runs per client.
"""

import contextlib
import os
import statistics
import time

from . import clients, procs, report
from .sshd import free_port

AES = "aes128-gcm@openssh.com"
CHACHA = "chacha20-poly1305@openssh.com"
CIPHERS = [(AES, "aes128-gcm"), (CHACHA, "chacha20-poly1305")]

FULL_SIZES = {
    "bulk_bytes": 2_000_000_000,
    "socks_count": 500,
    "parallel": 64,
    "parallel_seconds": 5,
    "loaded_count": 200,
    "hold_count": 10_000,
    "pool_streams": 8,
    "pool_bytes": 256_000_000,
    "delay_ms": 50,
    # Fixed rather than time-boxed so that both clients move the same bytes; OpenSSH's 2 MiB
    # window allows ~20 MB/s at 100 ms RTT, so this takes ~10 s for it.
    "delay_bytes": 200_000_000,
    "ttfb_reps": 5,
}


def quick_sizes():
    """About an eighth of the full sizes and durations: a smoke run of every code path."""
    sizes = dict(FULL_SIZES)
    for key in ("bulk_bytes", "pool_bytes", "delay_bytes"):
        sizes[key] = FULL_SIZES[key] // 8
    sizes["socks_count"] = 64
    sizes["loaded_count"] = 25
    sizes["hold_count"] = FULL_SIZES["hold_count"] // 8
    sizes["parallel_seconds"] = 1
    return sizes


class Bench:
    """Everything a measurement needs: the server side, the tools, the two clients, the settings."""

    def __init__(self, sshd, tools, ports, ssh, sshplex, reps, sizes, workdir, server=None):
        self.sshd = sshd
        self.server = server  # the `sshplex-bench server` Proc: its CPU is part of the server side
        self.tools = tools
        self.ports = ports  # echo, sink, source, greet, relay
        self.ssh = ssh
        self.sshplex = sshplex
        self.reps = reps
        self.sizes = sizes
        self.workdir = workdir
        self.unloaded_p50 = {}
        self.floors = {}  # ("cipher", name) / ("relay", direction) -> CPU s/GB, measured once per run


def alternate(reps, variants):
    """(ssh, sshplex) on even repetitions, (sshplex, ssh) on odd ones."""
    for rep in range(reps):
        yield from (variants if rep % 2 == 0 else list(reversed(variants)))


@contextlib.contextmanager
def running(bench, client, forwards, probe, cipher=AES, port=None):
    """A fresh client, ready (echo works, pool complete) for the body; stopped afterwards."""
    port = port or bench.sshd.port
    proc = clients.start(client, bench.sshd, bench.workdir, port, cipher, forwards)
    try:
        clients.wait_ready(proc, probe)
        clients.wait_pool(proc, client, port)
        yield proc
        if not proc.alive():
            raise procs.ToolError(f"{proc.name} died during the measurement: {proc.describe_exit()}")
    finally:
        proc.stop()


def with_echo_forward(bench, forwards):
    """Adds a -L to the echo port used only by the readiness probe (the measured port may be a sink)."""
    echo_port = free_port()
    probe = lambda: clients.echo_through_forward(echo_port)  # noqa: E731
    return forwards + clients.local_forward(echo_port, bench.ports["echo"]), probe


def socks_client(bench, client):
    socks_port = free_port()
    probe = lambda: clients.echo_through_socks(socks_port, bench.ports["echo"])  # noqa: E731
    return socks_port, clients.dynamic_forward(socks_port), probe


def measured(rows, body):
    """Runs body(); any error fails all of the rows it feeds. Returns the rows with medians set."""
    try:
        body()
    except Exception as error:  # noqa: BLE001 - any failure is recorded, then the next metric runs
        for row in rows:
            row.fail(error)
    return [row.finish() for row in rows]


class ServerSideCpu:
    """CPU of everything but the client during one measurement, sampled at construction and at
    finish(): all of sshd's processes (the listener and everything below it, reaped ones included,
    see procs.tree_cpu_seconds), `sshplex-bench server`, and the load tool the runner ran to
    completion in between (RUSAGE_CHILDREN; no other child is waited for meanwhile)."""

    def __init__(self, bench):
        self.bench = bench
        self.start = self._sample()

    def _sample(self):
        sample = {"sshd": procs.tree_cpu_seconds(self.bench.sshd.proc.pid)}
        if self.bench.server is not None:
            sample["server"] = procs.cpu_seconds(self.bench.server.pid)
        sample["load_tool"] = procs.children_cpu_seconds()
        return sample

    def finish(self, units):
        """CPU seconds per unit of work (units = GB moved, or millions of opens for us per open)."""
        end = self._sample()
        parts = {key: (end[key] - self.start[key]) / units for key in end}
        parts["total"] = sum(parts.values())
        return parts


def bulk_once(bench, client, direction, size, cipher, streams=1, port=None):
    """One transfer through a fresh client: returns (MB/s, client CPU seconds per 1e9 bytes,
    server-side CPU seconds per 1e9 bytes by part, see ServerSideCpu)."""
    target = bench.ports["sink" if direction == "upload" else "source"]
    forward_port = free_port()
    forwards, probe = with_echo_forward(bench, clients.local_forward(forward_port, target))
    with running(bench, client, forwards, probe, cipher=cipher, port=port) as proc:
        cpu_before = procs.cpu_seconds(proc.pid)
        server_side = ServerSideCpu(bench)
        result = bench.tools.bulk(forward_port, direction, size, streams=streams)
        server_parts = server_side.finish(result["bytes"] / 1e9)
        cpu_after = procs.cpu_seconds(proc.pid)
    if result["bytes"] != size * streams:
        raise procs.ToolError(f"bulk moved {result['bytes']} bytes, expected {size * streams}")
    return result["mb_per_s"], (cpu_after - cpu_before) / (result["bytes"] / 1e9), server_parts


def cores():
    return os.cpu_count() or 1


def throughput_ceiling(speed, server_side, floor):
    """Best reachable throughput ratio: the server side at its cost per byte measured in the sshplex
    runs plus a client at the CPU floor (`floor`, s/GB) keep every core busy, and sshd, one process
    per connection, keeps one core busy at most. The lower bound over ssh's measured rate."""
    per_gb = server_side.median("sshplex")
    sshd_per_gb = server_side.median("sshplex", "sshd")
    if speed.error is not None or not per_gb or not sshd_per_gb or not speed.ssh or floor is None:
        return None
    all_cores = cores() / (per_gb + floor) * 1000.0  # MB/s
    one_sshd = 1.0 / sshd_per_gb * 1000.0
    ceiling = min(all_cores, one_sshd)
    ratio = ceiling / speed.ssh
    return report.Reachable(ratio, f"ceiling {ratio:.2f}x with a client at the CPU floor", {
        "cores": cores(), "ceiling_mb_per_s": ceiling,
        "explain": f"ceiling = min({cores()} cores / ({per_gb:.2f} server side + {floor:.2f} client floor) "
                   f"CPU s/GB, 1 core / {sshd_per_gb:.2f} sshd CPU s/GB) = {ceiling:.0f} MB/s "
                   f"= {ratio:.2f}x ssh's {speed.ssh:.1f} MB/s"})


def relay_cpu_per_gb(bench, direction, size):
    """CPU s/GB of a plain relay (`relay`: read, write, no crypto) in one bulk transfer through it to
    the sink or from the source: the socket copies any forwarding client pays."""
    target = bench.ports["sink" if direction == "upload" else "source"]
    listen = free_port()
    relay = bench.tools.relay(listen, target)
    try:
        before = procs.cpu_seconds(relay.pid)
        result = bench.tools.bulk(listen, direction, size)
        after = procs.cpu_seconds(relay.pid)
    finally:
        relay.stop()
    return (after - before) / (result["bytes"] / 1e9)


def floor_part(bench, key, measure):
    """Median of bench.reps measurements, once per benchmark run (shared by the rows that need it)."""
    if key not in bench.floors:
        bench.floors[key] = statistics.median(measure() for _ in range(bench.reps))
    return bench.floors[key]


# The floor's parts take ~10 ms clock ticks of CPU per 250 MB: never measure them on less than 1 GB.
FLOOR_MIN_BYTES = 1_000_000_000


def client_floor(bench, short, direction, size):
    """The least any forwarding client can spend per GB: sealing the bytes (cipher-speed) plus
    relaying them (plain relay), as (cipher, relay) CPU s/GB, or a Reachable carrying the error."""
    size = max(size, FLOOR_MIN_BYTES)
    try:
        cipher = floor_part(bench, ("cipher", short),
                            lambda: bench.tools.cipher_speed(short, size)["cpu_s_per_gb"])
        relay = floor_part(bench, ("relay", direction), lambda: relay_cpu_per_gb(bench, direction, size))
    except (procs.ToolError, OSError, KeyError) as error:
        return report.Reachable(error=str(error) or type(error).__name__)
    return cipher, relay


def client_cpu_floor(cpu, parts):
    """Best reachable client-CPU ratio: the floor over ssh's measured CPU per GB."""
    if cpu.error is not None or not cpu.ssh:
        return None
    if isinstance(parts, report.Reachable):
        return parts
    cipher, relay = parts
    floor = cipher + relay
    ratio = floor / cpu.ssh
    return report.Reachable(ratio, f"best reachable {ratio:.2f}x: floor {floor:.2f} s/GB", {
        "floor_cpu_s_per_gb": floor, "cipher_cpu_s_per_gb": cipher, "relay_cpu_s_per_gb": relay,
        "explain": f"floor = cipher-speed {cipher:.2f} + plain relay {relay:.2f} = {floor:.2f} CPU s/GB "
                   f"= {ratio:.2f}x ssh's {cpu.ssh:.2f}"})


def bulk_rows(bench, want):
    """Metrics 1 and 2: the same runs give throughput and client CPU per GB."""
    rows = []
    size = bench.sizes["bulk_bytes"]
    for cipher, short in CIPHERS:
        for direction in ("upload", "download"):
            speed = report.Row(f"1.{direction}.{short}", f"1 throughput -L {direction} {short}", "MB/s",
                               report.at_least(1.5))
            cpu = report.Row(f"2.{direction}.{short}", f"2 client CPU -L {direction} {short}",
                             "CPU s/GB", report.at_most(0.5), digits=2)
            # Rows 1 and 2 come from the same runs and share their server-side figures.
            server_side = report.ServerSide("CPU s/GB", 2)
            speed.server_side = cpu.server_side = server_side

            def body(speed=speed, cpu=cpu, cipher=cipher, direction=direction, server_side=server_side):
                for client in alternate(bench.reps, [bench.ssh, bench.sshplex]):
                    mb_per_s, cpu_per_gb, server_parts = bulk_once(bench, client, direction, size, cipher)
                    speed.add(client.name, mb_per_s)
                    cpu.add(client.name, cpu_per_gb)
                    server_side.add(client.name, server_parts)

            chosen = [row for row, metric in ((speed, "1"), (cpu, "2")) if metric in want]
            chosen[0].show_server_side = True
            rows += measured(chosen, body)
            parts = client_floor(bench, short, direction, size)
            if "1" in want:
                floor = None if isinstance(parts, report.Reachable) else sum(parts)
                speed.reachable = throughput_ceiling(speed, server_side, floor)
            if "2" in want:
                cpu.reachable = client_cpu_floor(cpu, parts)
    return rows


def note_failures(row, client, result):
    if result.get("failures"):
        row.notes.append(f"{client.name}: {result['failures']} failed opens in one run")


def socks_latency_rows(bench):
    """Metric 3: sequential SOCKS5 connect + 1-byte echo latency through -D."""
    p50 = report.Row("3.socks.p50", "3 SOCKS open+echo p50", "ms", report.at_most(0.7), digits=3)
    p99 = report.Row("3.socks.p99", "3 SOCKS open+echo p99", "ms", digits=3)

    def body():
        for client in alternate(bench.reps, [bench.ssh, bench.sshplex]):
            socks_port, forwards, probe = socks_client(bench, client)
            with running(bench, client, forwards, probe):
                result = bench.tools.socks_latency(socks_port, bench.ports["echo"],
                                                   count=bench.sizes["socks_count"])
            p50.add(client.name, result["p50_ms"])
            p99.add(client.name, result["p99_ms"])
            note_failures(p50, client, result)

    rows = measured([p50, p99], body)
    if p50.error is None:
        bench.unloaded_p50 = {"ssh": p50.ssh, "sshplex": p50.sshplex}
    return rows


def opens_rate_rows(bench):
    """Metric 4: opens per second with 64 SOCKS clients in parallel, and the server side's CPU per
    open in the same runs."""
    parallel = bench.sizes["parallel"]
    row = report.Row("4.socks.opens_per_s", f"4 SOCKS opens/s, {parallel} parallel", "opens/s",
                     report.at_least(2.0), digits=0)
    row.server_side = report.ServerSide("CPU us/open", 0)
    row.show_server_side = True

    def body():
        for client in alternate(bench.reps, [bench.ssh, bench.sshplex]):
            socks_port, forwards, probe = socks_client(bench, client)
            with running(bench, client, forwards, probe):
                server_side = ServerSideCpu(bench)
                result = bench.tools.socks_latency(socks_port, bench.ports["echo"], parallel=parallel,
                                                   duration=bench.sizes["parallel_seconds"])
                if result["opens"] > 0:
                    row.server_side.add(client.name, server_side.finish(result["opens"] / 1e6))
            row.add(client.name, result["opens_per_s"])
            note_failures(row, client, result)

    rows = measured([row], body)
    row.reachable = opens_ceiling(row)
    return rows


def opens_ceiling(row):
    """Best reachable opens/s ratio with a client that costs no CPU (as throughput_ceiling)."""
    per_open_us = row.server_side.median("sshplex")
    if row.error is not None or not per_open_us or not row.ssh:
        return None
    ceiling = cores() / (per_open_us / 1e6)
    ratio = ceiling / row.ssh
    return report.Reachable(ratio, f"ceiling {ratio:.2f}x at zero client CPU", {
        "cores": cores(), "ceiling_opens_per_s": ceiling,
        "explain": f"ceiling = {cores()} cores / {per_open_us:.0f} server-side CPU us/open (sshplex runs) "
                   f"= {ceiling:.0f} opens/s = {ratio:.2f}x ssh's {row.ssh:.0f}"})


def held_count(reply):
    """Channels actually held according to hold's ready line ("held" counts successes only)."""
    return int(reply.get("held", 0))


def held_channels_rows(bench, want):
    """Metrics 5 and 6 from the same runs: hold N idle channels through -D, read the client's RSS
    before and after, then time new opens while they are held."""
    count = bench.sizes["hold_count"]
    loaded = report.Row("5.loaded.p50", f"5 SOCKS open p50 with {count} held", "ms", digits=3)
    versus = report.Row("5.loaded_vs_unloaded", "5 loaded p50 / own unloaded p50", "x",
                        report.absolute_at_most(3.0, "sshplex <= 3x own"), digits=2)
    rss = report.Row("6.rss_per_channel", f"6 RSS per idle channel at {count}", "KiB",
                     report.absolute_at_most(4.0, "sshplex <= 4 KiB"), digits=2)

    def body():
        for client in alternate(bench.reps, [bench.ssh, bench.sshplex]):
            socks_port, forwards, probe = socks_client(bench, client)
            with running(bench, client, forwards, probe) as proc:
                rss_before = procs.rss_kib(proc.pid)
                hold, reply = bench.tools.hold(socks_port, bench.ports["echo"], count,
                                               ready_timeout=300, lifetime=1800, watch=proc)
                try:
                    held = held_count(reply)
                    if held < count * 0.99:
                        raise procs.ToolError(f"{client.name}: only {held} of {count} channels held "
                                              f"({reply.get('failures')} failures)")
                    rss_after = procs.rss_kib(proc.pid)
                    # OpenSSH spends time per held channel on every open: allow it minutes.
                    result = bench.tools.socks_latency(socks_port, bench.ports["echo"],
                                                       count=bench.sizes["loaded_count"], timeout=900)
                finally:
                    hold.stop()
            loaded.add(client.name, result["p50_ms"])
            rss.add(client.name, (rss_after - rss_before) / held)
            note_failures(loaded, client, result)

    measured([loaded, rss], body)
    measured([versus], lambda: relative_to_unloaded(loaded, versus, bench.unloaded_p50))
    return [row for row, metric in ((loaded, "5"), (versus, "5"), (rss, "6")) if metric in want]


def relative_to_unloaded(loaded, versus, unloaded_p50):
    """Each loaded run over the same client's unloaded median from metric 3."""
    if loaded.error is not None:
        raise procs.ToolError(loaded.error)
    for name, runs in loaded.runs.items():
        base = unloaded_p50.get(name)
        if not base:
            raise procs.ToolError("the unloaded p50 of metric 3 is missing")
        for value in runs:
            versus.add(name, value / base)


def ttfb_rows(bench):
    """Metric 7: process start to the first byte through a -L forward to the greet port."""
    row = report.Row("7.ttfb", "7 start to first byte via -L", "ms", report.at_most(1.0), digits=1)

    def body():
        for client in alternate(bench.sizes["ttfb_reps"], [bench.ssh, bench.sshplex]):
            forward_port = free_port()
            forwards = clients.local_forward(forward_port, bench.ports["greet"])
            started = time.monotonic()
            proc = clients.start(client, bench.sshd, bench.workdir, bench.sshd.port, AES, forwards)
            try:
                probe = bench.tools.first_byte(forward_port, timeout=30)
                try:
                    result = probe.read_json_line(40, watch=proc)
                finally:
                    probe.stop()
                if not proc.alive():
                    raise procs.ToolError(proc.describe_exit())
            finally:
                proc.stop()
            row.add(client.name, (result["monotonic"] - started) * 1000.0)

    return measured([row], body)


def pool_rows(bench):
    """Metric 8: 8 parallel download streams with sshplex PoolSize 1, 2, 4 against one ssh connection."""
    streams, size = bench.sizes["pool_streams"], bench.sizes["pool_bytes"]
    sizes = (1, 2, 4)
    rows = {n: report.Row(f"8.pool{n}", f"8 {streams} streams download, PoolSize={n}", "MB/s")
            for n in sizes}
    variants = [bench.ssh] + [bench.sshplex.with_pool_size(n) for n in sizes]

    def body():
        for client in alternate(bench.reps, variants):
            mb_per_s, _, _ = bulk_once(bench, client, "download", size, AES, streams=streams)
            if client.name == "ssh":
                for row in rows.values():
                    row.add("ssh", mb_per_s)
            else:
                rows[client.pool_size].add("sshplex", mb_per_s)

    return measured(list(rows.values()), body)


def delay_rows(bench):
    """Metric 9: one download stream through a relay adding a fixed one-way delay each direction."""
    delay = bench.sizes["delay_ms"]
    row = report.Row("9.delay.download", f"9 download via {delay} ms one-way delay", "MB/s",
                     report.at_least(3.0))
    relay_port = bench.ports["relay"]

    def body():
        relay = bench.tools.delay_relay(relay_port, bench.sshd.port, delay)
        try:
            for client in alternate(bench.reps, [bench.ssh, bench.sshplex]):
                mb_per_s, _, _ = bulk_once(bench, client, "download", bench.sizes["delay_bytes"], AES,
                                           port=relay_port)
                row.add(client.name, mb_per_s)
        finally:
            relay.stop()

    return measured([row], body)
