"""A throwaway OpenSSH server on loopback, with its keys and the client-side files that trust it."""

import os
import signal
import socket
import subprocess
import time

from . import procs

SSHD = "/usr/sbin/sshd"
READY_TIMEOUT_S = 15.0


def free_port():
    """A port the kernel just handed out; a tiny race with other programs is accepted."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", path],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    with open(path + ".pub") as f:
        return f.read().strip()


def wait_listening(port, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise procs.ToolError(proc.describe_exit())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise procs.ToolError(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f} s")


class Sshd:
    """Owns the temp dir layout: host key, user key, authorized_keys, known_hosts, sshd_config."""

    def __init__(self, workdir, extra_known_ports=(), max_sessions=1000, listen_address="127.0.0.1",
                 port=None, wrapper=(), ready_probe=None):
        """`wrapper` prefixes sshd's command line (`ip netns exec NS` for bench/vpn.py), and then
        `ready_probe` (a callable, true once sshd listens) replaces the connect from this process."""
        self.workdir = workdir
        self.max_sessions = max_sessions
        self.listen_address = listen_address
        self.wrapper = list(wrapper)
        self.ready_probe = ready_probe
        self.port = port or free_port()
        self.user_key = os.path.join(workdir, "id_ed25519")
        self.known_hosts = os.path.join(workdir, "known_hosts")
        self.config = os.path.join(workdir, "sshd_config")
        self.proc = None
        host_pub = keygen(os.path.join(workdir, "host_ed25519"))
        user_pub = keygen(self.user_key)
        authorized = os.path.join(workdir, "authorized_keys")
        with open(authorized, "w") as f:
            f.write(user_pub + "\n")
        host_key_text = " ".join(host_pub.split()[:2])
        with open(self.known_hosts, "w") as f:
            for port in (self.port, *extra_known_ports):
                f.write(f"[{listen_address}]:{port} {host_key_text}\n")
        self._write_config(authorized)

    def _write_config(self, authorized):
        lines = [
            f"Port {self.port}",
            f"ListenAddress {self.listen_address}",
            f"HostKey {os.path.join(self.workdir, 'host_ed25519')}",
            f"AuthorizedKeysFile {authorized}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "UsePAM no",
            # The temp dir's modes are not sshd's business here.
            "StrictModes no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "AllowTcpForwarding yes",
            "PidFile none",
            "LogLevel ERROR",
            # Pools and back-to-back fresh clients open many connections quickly; 10,000 channels
            # ride on one or a few connections.
            "MaxStartups 1000:30:1000",
            f"MaxSessions {self.max_sessions}",
            # scp (SFTP by default since OpenSSH 9.0) for metric 10.
            "Subsystem sftp internal-sftp",
        ]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        check = subprocess.run([SSHD, "-t", "-f", self.config], capture_output=True, timeout=30,
                               stdin=subprocess.DEVNULL)
        if check.returncode != 0:
            raise procs.ToolError("sshd -t: " + check.stderr.decode(errors="replace").strip())
        self.proc = procs.Proc("sshd", [*self.wrapper, SSHD, "-D", "-e", "-f", self.config],
                               os.path.join(self.workdir, "sshd.log"))
        if self.ready_probe is None:
            wait_listening(self.port, READY_TIMEOUT_S, self.proc)
            return
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.ready_probe():
            if not self.proc.alive():
                raise procs.ToolError(self.proc.describe_exit())
            if time.monotonic() > deadline:
                raise procs.ToolError(f"sshd not listening on {self.listen_address}:{self.port} "
                                      f"after {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.05)

    def stop(self):
        if self.proc is None:
            return
        # Per-connection processes outlive the listener; the clients are gone by now, but make sure.
        leftovers = procs.children_of(self.proc.pid)
        self.proc.stop()
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None
