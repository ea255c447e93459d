"""No NUL character gets past the service's edge.

Why one guard here rather than a rule on every field: PostgreSQL's text columns cannot hold U+0000 (SQLite's can,
so the two databases would disagree), and a NUL reaching a query, a log line or a PDF is never what a user meant.
Refusing it once, for every path and query parameter, header, form field and JSON string (keys too), gives the
same 422 naming the field on either database, before any route or database sees the request.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

NUL = "\x00"
_MESSAGE = "must not contain the NUL character (U+0000)"
_FORM = "application/x-www-form-urlencoded"


async def refuse_nul_characters(request: Request) -> None:
    """A router dependency: 422 naming each field of the request that holds a NUL character."""
    locations = [
        *(("path", name) for name, value in request.path_params.items() if NUL in str(value)),
        *(("query", name) for name, value in request.query_params.multi_items() if NUL in name + value),
        *(("header", name) for name, value in request.headers.items() if NUL in name + value),
        *[location async for location in _body_locations(request)],
    ]
    if locations:
        raise RequestValidationError(
            [{"type": "string_nul", "loc": location, "msg": _MESSAGE, "input": None} for location in locations]
        )


async def _body_locations(request: Request) -> AsyncIterator[tuple[str | int, ...]]:
    """The locations of NUL characters in a form or JSON body (other bodies are the route's to judge)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == _FORM:
        form = await request.form()
        for name, value in form.multi_items():
            if isinstance(value, str) and NUL in name + value:
                yield ("body", name)
    elif content_type == "application/json" or content_type.endswith("+json"):
        raw = await request.body()
        try:
            document = json.loads(raw) if raw else None
        except ValueError:
            return  # malformed JSON is the body validation's to report
        for path in _nul_paths(document, ()):
            yield ("body", *path)


def _nul_paths(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield (*path, key.replace(NUL, "\\u0000"))
            yield from _nul_paths(item, (*path, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _nul_paths(item, (*path, position))
