"""The app factory: settings in, a FastAPI app out, with its own engine; nothing runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import Engine

from izquvar import __version__
from izquvar.config import Settings
from izquvar.db import make_engine, make_session_factory
from izquvar.service.errors import install_error_handlers
from izquvar.service.health import router as health_router
from izquvar.service.limits import BodySizeLimit
from izquvar.service.routes.audit import router as audit_router
from izquvar.service.routes.persons import router as persons_router
from izquvar.service.routes.users import auth_router, users_router
from izquvar.service.text import refuse_nul_characters

API_PREFIX = "/api/v1"


def check_production_secrets(settings: Settings) -> None:
    """``Forbidden`` when production runs with a default or missing secret.

    The service's secrets are the pseudonymisation key (it joins a store's pseudonyms back to registered
    persons) and the secret key (it encrypts TOTP secrets, ``users.totp``); access tokens need none
    (``users.tokens``). The checks are the ones ``config`` applies to each key.
    """
    settings.pseudonym_key_bytes()
    settings.secret_key_bytes()


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The service on the database of ``settings`` (or on ``engine``, which the caller then owns).

    Refuses (``Forbidden``) to build a production app with a default or missing secret. The database is
    expected at the newest migration (``izquvar serve`` upgrades it before starting).
    """
    check_production_secrets(settings)
    own_engine = engine is None
    bound = engine if engine is not None else make_engine(settings.resolved_database_url())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if own_engine:
            bound.dispose()

    app = FastAPI(
        title="izquvar",
        version=__version__,
        summary="Outbreak investigation and contact tracing",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = bound
    app.state.session_factory = make_session_factory(bound)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(_api_router(), prefix=API_PREFIX)
    return app


def _api_router() -> APIRouter:
    """Every route of ``/api/v1``: the service's own, then each domain package's routes (``service/routes/``)."""
    api = APIRouter(dependencies=[Depends(refuse_nul_characters)])
    for router in (health_router, auth_router, users_router, persons_router, audit_router):
        api.include_router(router)
    return api
