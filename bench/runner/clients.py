"""The two SSH clients under test: identical command lines, started fresh, ready when an echo works."""

import os
import socket
import struct
import time

from . import procs

READY_TIMEOUT_S = 30.0
POOL_SETTLE_TIMEOUT_S = 10.0
DEFAULT_POOL_SIZE = 2
KEX = "curve25519-sha256"


class Client:
    """One client binary under test; `pool_size` is only ever set for sshplex (metric 8)."""

    def __init__(self, name, path, pool_size=None):
        self.name = name
        self.path = path
        self.pool_size = pool_size

    def label(self):
        return self.name if self.pool_size is None else f"{self.name}(PoolSize={self.pool_size})"

    def with_pool_size(self, pool_size):
        return Client(self.name, self.path, pool_size)


def command(client, sshd, port, cipher, forwards):
    """The shared command line: only the binary (and, in metric 8, sshplex's PoolSize) differ."""
    argv = [client.path, "-F", "/dev/null", "-N", "-p", str(port), "-i", sshd.user_key,
            "-o", f"UserKnownHostsFile={sshd.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", f"Ciphers={cipher}",
            "-o", "ExitOnForwardFailure=yes",
            # OpenSSH 9.x prefers a post-quantum hybrid key exchange that sshplex does not offer;
            # one common key exchange keeps start-up and CPU figures comparable.
            "-o", f"KexAlgorithms={KEX}"]
    if client.pool_size is not None:
        argv += ["-o", f"PoolSize={client.pool_size}"]
    argv += forwards
    argv.append("127.0.0.1")
    return argv


def start(client, sshd, workdir, port, cipher, forwards):
    log = os.path.join(workdir, f"{client.name}-{time.monotonic_ns()}.log")
    return procs.Proc(client.label(), command(client, sshd, port, cipher, forwards), log)


def local_forward(listen_port, target_port):
    return ["-L", f"127.0.0.1:{listen_port}:127.0.0.1:{target_port}"]


def dynamic_forward(listen_port):
    return ["-D", f"127.0.0.1:{listen_port}"]


def _recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("closed early")
        data += chunk
    return data


def echo_through_forward(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"x")
        return _recv_exact(s, 1) == b"x"


def echo_through_socks(port, target_port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"\x05\x01\x00")
        if _recv_exact(s, 2) != b"\x05\x00":
            return False
        s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", target_port))
        reply = _recv_exact(s, 10)
        if reply[1] != 0:
            return False
        s.sendall(b"x")
        return _recv_exact(s, 1) == b"x"


def wait_ready(proc, probe, timeout=READY_TIMEOUT_S):
    """Polls `probe` (a 1-byte echo through the client) until it works; fails if the client dies."""
    deadline = time.monotonic() + timeout
    last_error = "no attempt"
    while time.monotonic() < deadline:
        if not proc.alive():
            raise procs.ToolError(proc.describe_exit())
        try:
            if probe():
                return
            last_error = "echo mismatch or SOCKS refusal"
        except OSError as e:
            last_error = str(e)
        time.sleep(0.02)
    raise procs.ToolError(f"{proc.name} not ready after {timeout:.0f} s ({last_error})")


def wait_pool(proc, client, sshd_port):
    """Waits until every pooled connection is up, so that a measurement never overlaps a handshake
    and channels can spread over the whole pool from the first one.

    An established TCP connection is a proxy for "up"; the settle pause covers the rest of the
    handshake, which takes milliseconds on loopback.
    """
    if client.name != "sshplex":
        return
    wanted = client.pool_size or DEFAULT_POOL_SIZE
    deadline = time.monotonic() + POOL_SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if not proc.alive():
            raise procs.ToolError(proc.describe_exit())
        if procs.established_to_port(proc.pid, sshd_port) >= wanted:
            time.sleep(0.3)
            return
        time.sleep(0.02)
    raise procs.ToolError(f"{proc.name}: fewer than {wanted} connections up after "
                          f"{POOL_SETTLE_TIMEOUT_S:.0f} s")
