"""Browser sessions: the access token in an HttpOnly cookie, and the CSRF token that must come with every change.

Why a cookie at all: the dashboard's pages should not keep a bearer token where page scripts (and so any injected
script) can read it. Why CSRF protection: a browser sends cookies with requests another site makes it send, so a
cookie alone may never authorise a change. The CSRF token is derived from the session's secret token (SHA-256
under a fixed label), so it needs no storage and no signing key: a page of ours reads it from the non-HttpOnly
``izquvar_csrf`` cookie (or the sign-in answer) and echoes it in the ``X-CSRF-Token`` header; another site can read
neither cookie and cannot compute it. Bearer-token requests carry no ambient credential and need no CSRF token.
The session is an ordinary access token underneath: signing out, a password change or a disabled account end it at
once, as they end bearer tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from fastapi import Response

from izquvar.config import Settings

SESSION_COOKIE = "izquvar_session"
CSRF_COOKIE = "izquvar_csrf"
CSRF_HEADER = "X-CSRF-Token"
#: Methods that change nothing: a cookie session may use them without the CSRF header.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LABEL = b"izquvar csrf v1\x00"


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a session: a one-way function of its secret token."""
    return hashlib.sha256(_LABEL + session_token.encode("utf-8")).hexdigest()


def csrf_matches(session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token_for(session_token), presented)


def set_session_cookies(response: Response, token: str, expires_at: dt.datetime, settings: Settings) -> str:
    """Put the session and its CSRF token in cookies that end with the token; returns the CSRF token."""
    csrf = csrf_token_for(token)
    common = {"expires": expires_at, "secure": settings.cookie_secure(), "samesite": "strict", "path": "/"}
    response.set_cookie(SESSION_COOKIE, token, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, **common)  # type: ignore[arg-type]
    return csrf


def clear_session_cookies(response: Response, settings: Settings) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=settings.cookie_secure(), samesite="strict")
