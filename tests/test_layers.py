"""No import runs back up a layer: import-linter's layers contract in pyproject.toml ([tool.importlinter]), the
picture of ARCHITECTURE.md, checked on every test run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def _lint_imports(source_root: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with ``source_root`` first on the path, reading the contract in ``cwd``/pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source_root), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", _LINT], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300
    )


def test_no_import_runs_back_up_a_layer() -> None:
    result = _lint_imports(ROOT / "src", ROOT)
    assert result.returncode == 0, f"an import runs back up a layer:\n{result.stdout}\n{result.stderr}"
    assert "1 kept, 0 broken" in result.stdout


def test_an_import_up_a_layer_breaks_the_contract(tmp_path: Path) -> None:
    """The check can fail: the same sources with formats importing the store are refused, naming the import."""
    shutil.copytree(
        ROOT / "src" / "izquvar", tmp_path / "src" / "izquvar", ignore=shutil.ignore_patterns("__pycache__", "data")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    derived = tmp_path / "src" / "izquvar" / "formats" / "derived.py"
    derived.write_text(derived.read_text(encoding="utf-8") + "\nimport izquvar.store.layout\n", encoding="utf-8")
    result = _lint_imports(tmp_path / "src", tmp_path)
    assert result.returncode != 0
    assert "izquvar.formats.derived -> izquvar.store.layout" in result.stdout
