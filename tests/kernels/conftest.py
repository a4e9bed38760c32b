"""Shared by the kernel cross-checks: the kernels_tool binary the build made."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tool():
    build = pathlib.Path(os.environ.get("KILN_BUILD_DIR", "build"))
    if not build.is_absolute():
        build = ROOT / build
    path = build / "tests" / "kernels" / "kernels_tool"
    if not path.exists():
        pytest.fail(f"kernels_tool not found at {path}: build it first "
                    f"(ninja -C {build} kernels_tool) or set KILN_BUILD_DIR")
    return path
