"""Paging of list endpoints: ``limit`` and ``offset`` in, one page and where the next one starts out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page (1 to {MAX_LIMIT})")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next_offset`` is ``null`` on the last page."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None
    total: int | None = None


def page_of(items: list[T], *, limit: int, offset: int, total: int | None = None) -> Page[T]:
    """A page from ``limit + 1`` items read (the extra one says whether another page follows), or from ``total``."""
    more = len(items) > limit if total is None else offset + limit < total
    return Page[T](
        items=items[:limit], limit=limit, offset=offset, next_offset=offset + limit if more else None, total=total
    )
