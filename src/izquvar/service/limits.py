"""The request body size limit, applied before anything parses a body.

Why a middleware of its own: FastAPI reads the whole body before validating it, so an unbounded body is memory
an anonymous client can make the server spend. A declared ``Content-Length`` over the limit is refused at once;
a body sent in chunks without one is counted as it arrives and refused when it passes the limit.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = 413


def too_large_detail(max_bytes: int) -> str:
    return f"the request body is larger than the {max_bytes:,} bytes this service accepts"


class BodySizeLimit:
    """ASGI middleware: 413 for a request whose body passes ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _refuse(send, self.max_bytes)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes an HTTPException raised while it reads the body on to the error handlers.
                    raise HTTPException(TOO_LARGE, too_large_detail(self.max_bytes))
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, max_bytes: int) -> None:
    body = json.dumps({"error": "body_too_large", "detail": too_large_detail(max_bytes), "field": "body"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": TOO_LARGE,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
