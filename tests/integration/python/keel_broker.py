"""Runs the real keel executable for Python integration tests.

KeelBroker starts keel (path from the KEEL_BINARY environment variable) on an
ephemeral 127.0.0.1 port with a fresh temporary data directory, waits up to
20 s for its ready file, and stops it with SIGTERM (then SIGKILL) on stop().
The broker's stdout+stderr go to keel.log in the temp dir; log_tail() returns
its end for failure messages. Not thread-safe.
"""

import ctypes
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time


class KeelBroker:
    def __init__(self, settings=None):
        binary = os.environ.get("KEEL_BINARY", "")
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError("KEEL_BINARY must name the keel executable (got %r)" % binary)
        self.binary = binary
        self.settings = dict(settings or {})
        self.dir = tempfile.mkdtemp(prefix="keel-pytest-")
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.data_dir)
        self.log_path = os.path.join(self.dir, "keel.log")
        self.proc = None
        self.port = 0
        self.http_port = 0  # from the ready file's HTTP:// line; 0 when off

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        ready = os.path.join(self.dir, "ready")
        if os.path.exists(ready):
            os.remove(ready)
        # The embedded default turns the HTTP listener on at a fixed port:
        # ephemeral here, so tests can run in parallel.
        settings = {"http.listener": "127.0.0.1:0"}
        settings.update(self.settings)
        settings["listeners"] = "PLAINTEXT://127.0.0.1:%d" % self.port
        settings["log.dirs"] = self.data_dir
        args = [self.binary, "--ready-file", ready]
        for key, value in sorted(settings.items()):
            args += ["--set", "%s=%s" % (key, value)]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("keel exited with %s before becoming ready:\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            try:
                with open(ready) as f:
                    lines = [l.strip() for l in f.read().splitlines() if l.strip()]
            except FileNotFoundError:
                lines = []
            if lines:
                line = lines[0]
                if not line.startswith("PLAINTEXT://"):
                    raise RuntimeError("malformed ready file line %r" % line)
                self.port = int(line.rsplit(":", 1)[1])
                # Extra lines: more listeners, then HTTP://host:port when on.
                self.http_port = 0
                for extra in lines[1:]:
                    if extra.startswith("HTTP://"):
                        self.http_port = int(extra.rsplit(":", 1)[1])
                return self
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("keel did not become ready within 20 s:\n" + self.log_tail())

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def kill(self):
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, max_bytes=8192):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return "<no log>"
        return data[-max_bytes:].decode("utf-8", "replace")

    def api_versions(self):
        """Returns {api_key: (min, max)} from an ApiVersions v0 request."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            client = b"keel-integration"
            header = struct.pack(">hhih", 18, 0, 1, len(client)) + client
            s.sendall(struct.pack(">i", len(header)) + header)
            size = struct.unpack(">i", _recv_exact(s, 4))[0]
            body = _recv_exact(s, size)
        _, error, count = struct.unpack_from(">ihi", body, 0)
        if error != 0:
            raise RuntimeError("ApiVersions v0 error %d" % error)
        out = {}
        for i in range(count):
            key, lo, hi = struct.unpack_from(">hhh", body, 10 + 6 * i)
            out[key] = (lo, hi)
        return out


def _die_with_parent():
    # PR_SET_PDEATHSIG(SIGKILL): keel dies with the test (e.g. on a CTest timeout).
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by keel")
        buf += chunk
    return buf


class BrokerTestCase:
    """Mixin for unittest.TestCase: a fresh broker per test, log on failure."""

    broker_settings = {}

    def setUp(self):
        self.broker = KeelBroker(self.broker_settings).start()
        self.addCleanup(self.broker.cleanup)
        # Runs before cleanup (LIFO): CTest shows it only for failing tests.
        self.addCleanup(self._print_log)

    def _print_log(self):
        sys.stderr.write("\n---- keel log tail (%s) ----\n%s---- end ----\n"
                         % (self.id(), self.broker.log_tail()))
