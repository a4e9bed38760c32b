"""Fixtures for the end-to-end tests: the real kiln binary on an ephemeral
loopback port with a fresh data folder, stopped at the end."""
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

ADMIN_KEY = "kiln_e2e_admin_key_0123456789abcdefghij"


class KilnServer:
    def __init__(self, binary: str, extra_args=()):
        self.binary = binary
        self.extra_args = list(extra_args)
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="kiln-e2e-"))
        self.data = self.root / "data"
        self.port_file = self.root / "port"
        self.log = open(self.root / "server.log", "ab")
        self.proc = None
        self.port = 0

    def start(self):
        if self.port_file.exists():
            self.port_file.unlink()
        env = dict(os.environ, KILN_ADMIN_KEY=ADMIN_KEY)
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--port", "0", "--data", str(self.data),
             "--port-file", str(self.port_file), "--log-level", "warning", *self.extra_args],
            stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kiln exited with {self.proc.returncode}; see {self.root}/server.log")
            if self.port_file.exists():
                text = self.port_file.read_text().strip()
                if text:
                    self.port = int(text)
                    urllib.request.urlopen(self.url + "/healthz", timeout=5).read()
                    return
            time.sleep(0.02)
        raise RuntimeError("kiln did not start in 15 s")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def close(self):
        self.stop()
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def kiln():
    binary = os.environ.get("KILN_BIN")
    if not binary:
        pytest.fail("KILN_BIN must name the kiln binary (make test sets it)")
    server = KilnServer(binary)
    server.start()
    yield server
    server.close()
