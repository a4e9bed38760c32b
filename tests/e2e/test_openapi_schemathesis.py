"""Property-based run of schemathesis against /openapi.json: no 5xx, and no
response that breaks the document's own schemas, status codes or media types."""
import os
import pathlib
import subprocess
import sys

from conftest import ADMIN_KEY

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "unsupported_method",
    "ignored_auth",
])


def test_schemathesis_finds_no_server_error_or_schema_violation(kiln, tmp_path):
    st = pathlib.Path(sys.executable).with_name("st")
    examples = os.environ.get("KILN_SCHEMATHESIS_EXAMPLES", "60")
    cmd = [
        str(st), "run", f"{kiln.url}/openapi.json",
        "--header", f"Authorization: Bearer {ADMIN_KEY}",
        "--checks", CHECKS,
        "--max-examples", examples,
        "--seed", "20261123",
        "--workers", "1",
        "--generation-database", "none",
        "--report", "junit",
        "--report-dir", str(tmp_path),
        "--no-color",
    ]
    # Run from the temp folder: schemathesis keeps a cache in its working directory.
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    print(out[-20000:])
    assert proc.returncode == 0, "schemathesis found problems:\n" + out[-8000:]
    # The server is still serving after the run.
    import urllib.request
    assert urllib.request.urlopen(kiln.url + "/healthz", timeout=5).status == 200
