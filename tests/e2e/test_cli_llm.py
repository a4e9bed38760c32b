"""The executor from the command line, as a newcomer uses it right after set-up:
kiln generate, kiln chat (stdin) and kiln embed on the real default models."""
import json
import math
import os
import pathlib
import subprocess

import pytest

CACHE = pathlib.Path(os.environ.get("KILN_CACHE", pathlib.Path.home() / ".cache" / "kiln"))
SMOLLM2 = CACHE / "models" / "smollm2-135m-instruct-q4_1.gguf"
MINILM = CACHE / "models" / "all-minilm-l6-v2-f32.gguf"


def kiln(*args, stdin=None, timeout=300):
    binary = os.environ.get("KILN_BIN")
    if not binary:
        pytest.fail("KILN_BIN must name the kiln binary (make test sets it)")
    return subprocess.run([binary, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def require(path):
    if not path.exists():
        pytest.fail(f"{path} is missing: scripts/setup fetches it")


def test_generate_answers_with_the_default_model():
    require(SMOLLM2)
    out = kiln("generate", "--chat", "--prompt",
               "Which city is the capital of France? Answer with the city name.",
               "--temperature", "0", "--max-tokens", "12")
    assert out.returncode == 0, out.stderr
    assert "Paris" in out.stdout
    assert "prompt tokens" in out.stderr  # the timing line


def test_chat_keeps_the_conversation_and_streams():
    require(SMOLLM2)
    out = kiln("chat", "--temperature", "0", "--max-tokens", "16",
               stdin="Which city is the capital of France? Answer with the city name.\n"
               "/reset\nWhat is 2 + 2?\n")
    assert out.returncode == 0, out.stderr
    assert "Paris" in out.stdout
    assert out.stdout.count("\n") >= 2


def test_embed_prints_unit_vectors():
    require(MINILM)
    out = kiln("embed", "--text", "向量数据库用于语义检索。", "--text", "hello world")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 2 and all(len(r) == 384 for r in rows)
    for r in rows:
        assert abs(math.sqrt(sum(v * v for v in r)) - 1) < 1e-4


def test_bad_model_files_are_clear_errors(tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + b"\xff" * 64)
    out = kiln("generate", "--model", str(junk), "--prompt", "hi")
    assert out.returncode == 1
    assert "kiln:" in out.stderr and "junk.gguf" in out.stderr
    out = kiln("generate", "--model", str(tmp_path / "absent.gguf"), "--prompt", "hi")
    assert out.returncode == 1 and "absent.gguf" in out.stderr
    out = kiln("embed", "--model", str(SMOLLM2), "--text", "x")
    assert out.returncode == 1 and "not an embedding model" in out.stderr
    out = kiln("generate", "--prompt", "hi", "--temperature", "-1")
    assert out.returncode == 2 and "--temperature" in out.stderr


def test_prompt_longer_than_the_context_is_refused():
    require(SMOLLM2)
    out = kiln("generate", "--prompt", "word " * 300, "--ctx", "64", "--max-tokens", "4")
    assert out.returncode == 1
    assert "context" in out.stderr
