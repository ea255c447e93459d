"""No import runs back up a layer: import-linter's layers contract in pyproject.toml ([tool.importlinter]), the
picture of ARCHITECTURE.md, checked on every test run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert "0 broken" in result.stdout
    assert "One-way layers KEPT" in result.stdout
    assert "The registry stays apart from location data KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "imported", "broken"),
    [
        ("formats/derived.py", "izquvar.store.layout", "izquvar.formats.derived -> izquvar.store.layout"),
        ("persons/search_key.py", "izquvar.trace.result", "izquvar.persons.search_key -> izquvar.trace.result"),
    ],
    ids=["up-a-layer", "registry-reads-locations"],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, module: str, imported: str, broken: str) -> None:
    """The check can fail: the same sources with one import added (formats importing the store; the registry
    importing the tracer, which the layers allow) are refused, naming the import."""
    shutil.copytree(
        ROOT / "src" / "izquvar", tmp_path / "src" / "izquvar", ignore=shutil.ignore_patterns("__pycache__", "data")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    source = tmp_path / "src" / "izquvar" / module
    source.write_text(source.read_text(encoding="utf-8") + f"\nimport {imported}\n", encoding="utf-8")
    result = _lint_imports(tmp_path / "src", tmp_path)
    assert result.returncode != 0
    assert broken in result.stdout
