"""Fixtures for the end-to-end tests: the real kiln binary on an ephemeral
loopback port with a fresh data folder, stopped at the end."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import threading
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


def start_kiln(*args):
    """A started KilnServer of $KILN_BIN with these extra arguments (close() it)."""
    binary = os.environ.get("KILN_BIN")
    if not binary:
        pytest.fail("KILN_BIN must name the kiln binary (make test sets it)")
    server = KilnServer(binary, list(args))
    server.start()
    return server


@pytest.fixture
def kiln():
    binary = os.environ.get("KILN_BIN")
    if not binary:
        pytest.fail("KILN_BIN must name the kiln binary (make test sets it)")
    server = KilnServer(binary)
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def weather():
    """The C++ weather plugin of examples/plugins/weather_cpp: its port."""
    build = pathlib.Path(os.environ.get("KILN_BUILD_DIR",
                                        pathlib.Path(__file__).resolve().parents[2] / "build"))
    binary = build / "examples" / "plugins" / "weather_cpp" / "weather_plugin"
    assert binary.exists(), f"{binary} is not built"
    proc = subprocess.Popen([str(binary), "--port", "0"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "listening on" in line, line
    port = int(line.strip().rsplit(":", 1)[1])
    yield port
    proc.terminate()
    proc.wait(timeout=10)


STOCK_QUOTE_SPEC = """openapi: 3.1.0
info: {title: Stock quotes, version: "1"}
servers: [{url: "http://127.0.0.1:PORT"}]
paths:
  /quote:
    get:
      operationId: get_stock_quote
      summary: The latest stock price quote of a company ticker symbol
      parameters:
        - {name: symbol, in: query, required: true, schema: {type: string}, description: ticker symbol}
"""


@contextmanager
def stock_quote_service(answer: bytes):
    """An OpenAPI service on 127.0.0.1 (its port): GET /openapi.yaml is its
    document, and every quote it gives is `answer`, whatever bytes those are."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/openapi.yaml"):
                body = STOCK_QUOTE_SPEC.replace("PORT", str(self.server.server_address[1])).encode()
            else:
                body = answer
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()


class FakePlatform:
    """A chat app's API on 127.0.0.1, written for the tests: records every call
    (path, headers, raw body, parsed JSON, the client's port: one a connection)
    and answers with `respond(path, data,
    n)` -> (status, headers, body) where n counts the calls to that path with
    the same body (1 for the first try); 200 {"ok": true} by default."""

    def __init__(self, respond=None):
        self.calls = []
        self.tries = {}
        self.lock = threading.Lock()
        self.respond = respond or (lambda path, data, n: (200, {}, b'{"ok": true, "result": {}}'))
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open, as platform APIs do

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = None
                with outer.lock:
                    key = (self.path, raw)
                    n = outer.tries[key] = outer.tries.get(key, 0) + 1
                    status, headers, body = outer.respond(self.path, data, n)
                    outer.calls.append({"method": self.command, "path": self.path,
                                        "headers": dict(self.headers),
                                        "body": raw, "data": data, "status": status,
                                        "peer": self.client_address[1]})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_PATCH = do_POST
            do_PUT = do_POST
            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def matching(self, predicate, status=200):
        with self.lock:
            return [c for c in self.calls if c["status"] == status and predicate(c)]

    def wait(self, predicate, timeout=90, count=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.matching(predicate)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"the fake platform got no such call; calls: {self.calls[-5:]}")

    def close(self):
        self.httpd.shutdown()


def api(server, method, path, status=200, **kw):
    """One call of the API with the admin key; asserts the status, returns the JSON."""
    import requests
    r = requests.request(method, server.url + path, timeout=60,
                         headers={"Authorization": f"Bearer {ADMIN_KEY}"}, **kw)
    assert r.status_code == status, (method, path, r.status_code, r.text)
    return r.json()


def published_bot(server, name):
    """A short-spoken bot (24 tokens, temperature 0), published: its id."""
    bot = api(server, "POST", "/v1/bots", 201, json={
        "name": name, "persona": "You are a friendly assistant. Answer briefly.",
        "model_params": {"max_tokens": 24, "temperature": 0}})["id"]
    api(server, "POST", f"/v1/bots/{bot}/publish", 201, json={"note": "v1"})
    return bot


def delivery_logged(server, cid, event_id, timeout=60, status=None):
    """A channel's delivery-log entry for an event, once there is one (with
    `status`, once it has that one): the platform sees the reply a moment
    before Kiln records how it went."""
    deadline = time.time() + timeout
    while True:
        log = [d for d in api(server, "GET", f"/v1/channels/{cid}/deliveries?limit=100")["data"]
               if d["event_id"] == event_id and (status is None or d["status"] == status)]
        if log or time.time() > deadline:
            assert log, f"no delivery logged for {event_id}"
            return log[0]
        time.sleep(0.1)


@pytest.fixture(scope="module")
def fake(request):
    """A FakePlatform answering with the test module's `respond`, if it has one."""
    f = FakePlatform(getattr(request.module, "respond", None))
    yield f
    f.close()


@pytest.fixture(scope="module")
def fake_server(fake):
    """Kiln allowed to call the module's fake platform."""
    s = start_kiln("--outbound-allow", f"127.0.0.1:{fake.port}")
    yield s
    s.close()
