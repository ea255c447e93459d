"""docs/trace-schema.json is up to date, every format's JSON validates against it, docs explain every field."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from trace_samples import empty_trace, sample_trace

from izquvar.trace.result import TraceResult

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "trace-schema.json"
DOC_FILE = ROOT / "docs" / "trace-json.md"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_trace_schema", ROOT / "tools" / "gen_trace_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_file_is_regenerated_from_the_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == _tool().schema_text(), (
        "docs/trace-schema.json is out of date: run python tools/gen_trace_schema.py"
    )


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    tool = _tool()
    stale = tmp_path / "schema.json"
    stale.write_text("{}", encoding="utf-8")
    assert tool.main(["--out", str(stale), "--check"]) == 1
    assert tool.main(["--out", str(stale)]) == 0
    assert tool.main(["--out", str(stale), "--check"]) == 0


@pytest.mark.parametrize("lang", ["en", "uz-Cyrl"])
def test_trace_json_validates(validator: jsonschema.Draft202012Validator, lang: str) -> None:
    for result in (sample_trace(lang), empty_trace(lang)):  # type: ignore[arg-type]
        validator.validate(json.loads(result.to_json()))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("contacts", 0, "klass"), "very close"),
        (("contacts", 0, "risk"), 1.5),
        (("places", 0, "sources"), ["pigeon"]),
        (("places", 0, "lat"), 95.0),
        (("schema_version",), "izquvar.trace/2"),
        (("contacts", 0, "evidence", 0, "colour"), "red"),
    ],
)
def test_schema_rejects_what_the_contract_forbids(
    validator: jsonschema.Draft202012Validator, path: tuple[Any, ...], value: object
) -> None:
    document = json.loads(sample_trace().to_json())
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert not validator.is_valid(document)


def _example() -> dict[str, Any]:
    match = re.search(r"## Example.*?```json\n(.*?)```", DOC_FILE.read_text(encoding="utf-8"), re.S)
    assert match is not None
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_documented_example_is_valid(validator: jsonschema.Draft202012Validator) -> None:
    example = _example()
    validator.validate(example)
    TraceResult.model_validate(example)


def test_docs_explain_every_field() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    documented = set(re.findall(r"`(\w+)`", DOC_FILE.read_text(encoding="utf-8")))
    fields = set(schema["properties"])
    for definition in schema["$defs"].values():
        fields |= set(definition.get("properties", {}))
    assert fields - documented == set()
