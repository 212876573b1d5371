"""The load tools (`sshplex-bench` subcommands, see bench_contract): thin wrappers with timeouts."""

import os
import subprocess

from . import procs

READY_TIMEOUT_S = 15.0
# A tool's own --timeout is set a little below ours, so that it reports its own error first.
TOOL_MARGIN_S = 10.0


class Tools:
    def __init__(self, path, workdir):
        self.path = path
        self.workdir = workdir

    def _log(self, name):
        return os.path.join(self.workdir, f"{name}.log")

    def _run(self, name, args, timeout):
        argv = [self.path, name, *args, "--timeout", str(int(timeout))]
        return procs.run_json(name, argv, timeout + TOOL_MARGIN_S)

    def _serve(self, name, args, stdin=subprocess.DEVNULL, ready_timeout=READY_TIMEOUT_S, watch=None):
        """Starts a tool that announces itself with a {"ready": true, ...} line; returns (proc, line)."""
        proc = procs.Proc(name, [self.path, name, *args], self._log(name), stdin=stdin)
        try:
            reply = proc.read_json_line(ready_timeout, watch)
            if reply.get("ready") is not True:
                raise procs.ToolError(f"{name}: unexpected first line {reply}")
        except BaseException:
            proc.stop()
            raise
        return proc, reply

    def server(self, echo, sink, source, greet):
        proc, _ = self._serve("server", ["--echo", str(echo), "--sink", str(sink),
                                         "--source", str(source), "--greet", str(greet)])
        return proc

    def delay_relay(self, listen, connect_port, delay_ms):
        proc, _ = self._serve("delay-relay", ["--listen", str(listen),
                                              "--connect", f"127.0.0.1:{connect_port}",
                                              "--delay-ms", str(delay_ms)])
        return proc

    def relay(self, listen, connect_port):
        """A plain relay (no delay, no crypto, bounded buffers) from `listen` to connect_port."""
        proc, _ = self._serve("relay", ["--listen", str(listen), "--connect", f"127.0.0.1:{connect_port}"])
        return proc

    def hold(self, proxy_port, target_port, count, ready_timeout, lifetime, watch=None):
        """Starts holding `count` channels; returns (proc, ready line). Stop it with proc.stop().

        stdin is a pipe we keep open: hold also stops at EOF on stdin.
        """
        args = ["--proxy", f"127.0.0.1:{proxy_port}", "--target", f"127.0.0.1:{target_port}",
                "--count", str(count), "--timeout", str(int(lifetime))]
        return self._serve("hold", args, stdin=subprocess.PIPE, ready_timeout=ready_timeout, watch=watch)

    def bulk(self, port, direction, size, streams=1, timeout=600):
        args = ["--connect", f"127.0.0.1:{port}", f"--{direction}", str(size)]
        if streams > 1:
            args += ["--streams", str(streams)]
        return self._run("bulk", args, timeout)

    def socks_latency(self, proxy_port, target_port, count=None, parallel=None, duration=None,
                      timeout=300):
        args = ["--proxy", f"127.0.0.1:{proxy_port}", "--target", f"127.0.0.1:{target_port}"]
        if count is not None:
            args += ["--count", str(count)]
        if parallel is not None:
            args += ["--parallel", str(parallel), "--duration", str(duration)]
        return self._run("socks-latency", args, timeout)

    def cipher_speed(self, cipher, size, timeout=300):
        """CPU seconds per GB to seal `size` bytes as 32 KiB SSH packets ("aes128-gcm" or
        "chacha20-poly1305")."""
        return self._run("cipher-speed", ["--cipher", cipher, "--bytes", str(size)], timeout)

    def first_byte(self, port, timeout):
        """Started, not awaited: it must race the client it measures. Read its line with read_json_line."""
        argv = [self.path, "first-byte", "--connect", f"127.0.0.1:{port}", "--timeout", str(int(timeout))]
        return procs.Proc("first-byte", argv, self._log("first-byte"))
