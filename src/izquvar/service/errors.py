"""izquvar's error tree mapped to HTTP statuses, in this one place, with one JSON body for every error::

    {"error": "not_found", "detail": "no person with id 7", "field": null}

422 (the request does not match its schema) adds ``errors``: one entry per problem, each naming its ``field``
and where it was (``body``, ``query``, ``path``, ``header``). Only a bug in izquvar gives a 500, and its body
says nothing of the internals (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from izquvar.db import utcnow
from izquvar.errors import (
    AccountLocked,
    Conflict,
    Forbidden,
    IngestFailed,
    InvalidInput,
    IzquvarError,
    NotFound,
    SecondFactorRequired,
    StoreError,
    Unauthenticated,
)

log = logging.getLogger(__name__)

#: Most specific first: the first class an error is an instance of gives its status and code.
STATUS: tuple[tuple[type[IzquvarError], int, str], ...] = (
    (Conflict, 409, "conflict"),
    (InvalidInput, 400, "invalid_input"),
    (NotFound, 404, "not_found"),
    (Forbidden, 403, "forbidden"),
    (AccountLocked, 423, "account_locked"),
    (SecondFactorRequired, 401, "second_factor_required"),
    (Unauthenticated, 401, "not_authenticated"),
    (StoreError, 503, "store_unavailable"),
    (IngestFailed, 500, "ingest_failed"),
    (IzquvarError, 400, "invalid_request"),
)
_HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type"}  # fmt: skip


def error_body(error: str, detail: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail, "field": field, **extra}


def status_of(exc: IzquvarError) -> tuple[int, str]:
    """The HTTP status and error code of an izquvar error."""
    return next((status, code) for kind, status, code in STATUS if isinstance(exc, kind))


async def _izquvar_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(IzquvarError, exc)  # registered for IzquvarError only
    status, code = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, AccountLocked):
        headers["Retry-After"] = str(max(1, int((exc.until - utcnow()).total_seconds())))
    elif isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(error_body(code, str(exc), exc.field), status_code=status, headers=headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(RequestValidationError, exc)
    problems = [_problem(error) for error in exc.errors()]
    first = problems[0] if problems else {"field": None, "message": "the request is not valid"}
    detail = "; ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in problems)
    return JSONResponse(error_body("invalid_input", detail, first["field"], errors=problems), status_code=422)


def _problem(error: Any) -> dict[str, Any]:
    """One validation problem: the field it is about (dotted path), where (body, query, …), and what is wrong."""
    location = [str(part) for part in error.get("loc", ())]
    where, path = (location[0], location[1:]) if location else ("body", [])
    message = str(error.get("msg", "not valid")).removeprefix("Value error, ")
    original = (error.get("ctx") or {}).get("error")
    field_hint = getattr(original, "field", None)
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        return {"field": "body", "location": "body", "message": f"the body is not valid JSON ({reason})"}
    if isinstance(field_hint, str):
        path = [*path, field_hint]
    field = ".".join(path) if path else where
    return {"field": field, "location": where, "message": message}


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(HTTPException, exc)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    field = "body" if exc.status_code == 413 else None
    return JSONResponse(
        error_body(code, str(exc.detail), field), status_code=exc.status_code, headers=dict(exc.headers or {})
    )


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error in the service", exc_info=exc)
    return JSONResponse(
        error_body("internal_error", "an internal error occurred; it has been logged for the operators"),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on ``app``."""
    app.add_exception_handler(IzquvarError, _izquvar_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
