"""A small client of Firefox's Marionette protocol (the remote protocol built
into Firefox itself), so the editor's tests can drive Debian's firefox-esr
with no driver download. Messages are `length:json`; a command is
[0, id, name, params] and its answer [1, id, error, result]."""
import json
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time


class MarionetteError(RuntimeError):
    pass


class Firefox:
    def __init__(self, binary="/usr/bin/firefox-esr", width=1280, height=800):
        self.profile = pathlib.Path(tempfile.mkdtemp(prefix="kiln-firefox-"))
        # Port 0: Firefox picks one and writes it to MarionetteActivePort.
        (self.profile / "user.js").write_text(
            'user_pref("marionette.port", 0);\n'
            'user_pref("browser.shell.checkDefaultBrowser", false);\n'
            'user_pref("datareporting.policy.dataSubmissionEnabled", false);\n'
            'user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);\n'
            'user_pref("app.update.disabledForTesting", true);\n'
            'user_pref("browser.startup.homepage_override.mstone", "ignore");\n')
        self.proc = subprocess.Popen(
            [binary, "--headless", "--marionette", "--no-remote", "--profile", str(self.profile),
             f"--width={width}", f"--height={height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "MarionetteActivePort"
        deadline = time.time() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.time() > deadline:
                self.close()
                raise MarionetteError("firefox did not open Marionette")
            time.sleep(0.1)
        self.sock = socket.create_connection(("127.0.0.1", int(port_file.read_text())), timeout=60)
        self.buffer = b""
        self.next_id = 0
        self._read()  # the greeting
        self.command("WebDriver:NewSession", {"capabilities": {}})

    def _read(self):
        while b":" not in self.buffer:
            self._fill()
        length, rest = self.buffer.split(b":", 1)
        n = int(length)
        self.buffer = rest
        while len(self.buffer) < n:
            self._fill()
        message, self.buffer = self.buffer[:n], self.buffer[n:]
        return json.loads(message)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise MarionetteError("firefox closed the connection")
        self.buffer += data

    def command(self, name, params=None):
        self.next_id += 1
        body = json.dumps([0, self.next_id, name, params or {}]).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body)
        while True:
            reply = self._read()
            if reply[0] == 1 and reply[1] == self.next_id:
                if reply[2]:
                    raise MarionetteError(f"{name}: {reply[2]}")
                return reply[3]

    def navigate(self, url):
        self.command("WebDriver:Navigate", {"url": url})

    def js(self, script, *args):
        """Runs a function body in the page; its `return` value comes back."""
        return self.command("WebDriver:ExecuteScript", {"script": script, "args": list(args)})["value"]

    def wait(self, script, *args, timeout=30):
        """Waits until the script returns something true; returns it."""
        deadline = time.time() + timeout
        while True:
            value = self.js(script, *args)
            if value:
                return value
            if time.time() > deadline:
                raise AssertionError(f"timed out waiting for: {script}")
            time.sleep(0.1)

    def screenshot(self, path):
        import base64
        data = self.command("WebDriver:TakeScreenshot", {"full": False})["value"]
        pathlib.Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        try:
            if getattr(self, "sock", None):
                try:
                    self.command("Marionette:Quit", {"flags": ["eForceQuit"]})
                except (MarionetteError, OSError):
                    pass
                self.sock.close()
        finally:
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
