"""CI must fail when a real-data test skips: the conftest hook turns skips into failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SKIPPING_TEST = """
import pytest

def test_needs_something():
    pytest.skip("absent")
"""


@pytest.mark.parametrize(("strict", "expected_exit"), [("1", 1), ("0", 0)])
def test_skip_is_failure_only_when_required(tmp_path: Path, strict: str, expected_exit: int) -> None:
    (tmp_path / "test_skip.py").write_text(SKIPPING_TEST)
    # the conftest and the fixture modules it imports
    for name in ("conftest.py", "postgres.py", "databases.py", "sparkkit.py"):
        (tmp_path / name).write_text(Path(__file__).with_name(name).read_text())
    env = {**os.environ, "IZQUVAR_REQUIRE_SHARED": strict}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == expected_exit, result.stdout + result.stderr
