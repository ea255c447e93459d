"""docs/data-formats.md is exactly what tools/gen_formats_doc.py makes from formats/feeds.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from izquvar.formats import KINDS

ROOT = Path(__file__).resolve().parents[2]


def test_data_formats_doc_is_generated_and_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_formats_doc", ROOT / "tools" / "gen_formats_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.render()
    assert (ROOT / "docs" / "data-formats.md").read_text(encoding="utf-8") == text, (
        "docs/data-formats.md is stale: run python tools/gen_formats_doc.py"
    )
    for kind in KINDS.values():
        assert f"## `{kind.name}`: {kind.title}" in text
        for column in kind.columns:
            assert f"| `{column.name}` | {column.type} |" in text
