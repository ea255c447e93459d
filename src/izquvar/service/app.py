"""The app factory: settings in, a FastAPI app out, with its own engine; nothing runs at import time."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import Engine

from izquvar import __version__
from izquvar.cases.diseases import DiseaseRegistry
from izquvar.config import Settings
from izquvar.db import make_engine, make_session_factory
from izquvar.service.errors import install_error_handlers
from izquvar.service.health import router as health_router
from izquvar.service.limits import BodySizeLimit
from izquvar.service.routes.audit import router as audit_router
from izquvar.service.routes.cases import cases_router, contacts_router, diseases_router, lab_router
from izquvar.service.routes.persons import router as persons_router
from izquvar.service.routes.users import auth_router, users_router
from izquvar.service.text import refuse_nul_characters
from izquvar.service.tracing import StoreTracer, TracingWorker

API_PREFIX = "/api/v1"


def check_production_secrets(settings: Settings) -> None:
    """``Forbidden`` when production runs with a default or missing secret.

    The service's secrets are the pseudonymisation key (it joins a store's pseudonyms back to registered
    persons) and the secret key (it encrypts TOTP secrets, ``users.totp``); access tokens need none
    (``users.tokens``). The checks are the ones ``config`` applies to each key.
    """
    settings.pseudonym_key_bytes()
    settings.secret_key_bytes()


@dataclass
class _Running:
    """How many times an app's lifespan is entered now."""

    entered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def create_app(settings: Settings, *, engine: Engine | None = None, store: Path | None = None) -> FastAPI:
    """The service on the database of ``settings`` (or on ``engine``, which the caller then owns), tracing on the
    location store in ``store`` (default: the data home's store).

    Refuses (``Forbidden``) to build a production app with a default or missing secret. The database is
    expected at the newest migration (``izquvar serve`` upgrades it before starting). While the app runs
    (its lifespan), a tracing worker thread runs the queued tracing jobs, unless ``settings.tracing_worker`` is
    off.
    """
    check_production_secrets(settings)
    own_engine = engine is None
    bound = engine if engine is not None else make_engine(settings.resolved_database_url())
    diseases = DiseaseRegistry.from_file(settings.diseases) if settings.diseases else DiseaseRegistry.default()
    session_factory = make_session_factory(bound)
    tracer = StoreTracer(store if store is not None else settings.data_paths().store, settings)

    running = _Running()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One worker per app however many times its lifespan is entered at once (test clients nest them): the
        # first entry starts it, the last exit stops it and only then releases the engine it works on.
        with running.lock:
            running.entered += 1
            if running.entered == 1 and settings.tracing_worker:
                app.state.tracing_worker = TracingWorker(
                    session_factory,
                    tracer,
                    diseases,
                    poll_seconds=settings.tracing_poll_seconds,
                    retry_delay=dt.timedelta(seconds=settings.tracing_retry_seconds),
                )
                app.state.tracing_worker.start()
        try:
            yield
        finally:
            with running.lock:
                running.entered -= 1
                last = running.entered == 0
                worker = app.state.tracing_worker if last else None
                if last:
                    app.state.tracing_worker = None
            if last:
                if worker is not None:
                    worker.stop()
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
    app.state.session_factory = session_factory
    app.state.diseases = diseases
    app.state.tracer = tracer
    app.state.tracing_worker = None
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(_api_router(), prefix=API_PREFIX)
    return app


def _api_router() -> APIRouter:
    """Every route of ``/api/v1``: the service's own, then each domain package's routes (``service/routes/``)."""
    api = APIRouter(dependencies=[Depends(refuse_nul_characters)])
    for router in (
        health_router,
        auth_router,
        users_router,
        persons_router,
        audit_router,
        lab_router,
        cases_router,
        contacts_router,
        diseases_router,
    ):
        api.include_router(router)
    return api
