"""Write docs/trace-schema.json, the JSON Schema of ``izquvar trace --format json``, from the pydantic models.

    python tools/gen_trace_schema.py [--out docs/trace-schema.json] [--check]

The models in ``izquvar.trace.result`` are the source of truth; this file is their published form, for
programs that read traces without izquvar. ``--check`` exits 1 when the file is out of date (the tests do the
same comparison, so a model change without a regenerated schema fails CI).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from izquvar.trace.result import SCHEMA_VERSION, TraceResult

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "trace-schema.json"
#: A URN, not a URL: the schema is shipped in docs/, never fetched.
SCHEMA_ID = "urn:izquvar:schema:trace:1"


def trace_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a serialised TraceResult, with an id and a title."""
    schema = TraceResult.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"izquvar trace result ({SCHEMA_VERSION})",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def schema_text() -> str:
    return json.dumps(trace_schema(), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs; write nothing")
    args = parser.parse_args(argv)
    text = schema_text()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python tools/gen_trace_schema.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
