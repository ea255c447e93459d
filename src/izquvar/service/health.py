"""``GET /api/v1/health``: public, for load balancers and operators: the version and whether the database answers."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from izquvar import __version__

router = APIRouter(tags=["service"])


class HealthRead(BaseModel):
    """``ok`` with the database reachable; ``degraded`` (and status 503) when it does not answer."""

    status: Literal["ok", "degraded"]
    version: str
    database: Literal["reachable", "unreachable"]


@router.get("/health", response_model=HealthRead)
def health(request: Request, response: Response) -> HealthRead:
    engine: Engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        response.status_code = 503
        return HealthRead(status="degraded", version=__version__, database="unreachable")
    return HealthRead(status="ok", version=__version__, database="reachable")
