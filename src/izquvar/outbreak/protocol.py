"""What the population-level steps need from a tracer: one case in, one :class:`TraceResult` out."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from izquvar.i18n import Lang
from izquvar.trace.disease import DiseaseProfile
from izquvar.trace.result import TraceResult

if TYPE_CHECKING:
    from izquvar.trace.tracer import CaseTrace


@runtime_checkable
class CaseTracer(Protocol):
    """``izquvar.trace.tracer.Tracer`` satisfies this; tests pass hand-made results through a fake."""

    #: The disease whose window the tracer applies (its rules' ``disease`` section): second-degree tracing
    #: opens a contact's window at the exposure day from it.
    profile: DiseaseProfile

    def trace(
        self, person: str, onset: dt.date, isolation: dt.date | None = None, lang: Lang = "en"
    ) -> TraceResult: ...


@runtime_checkable
class ColumnarTracer(CaseTracer, Protocol):
    """A tracer that can also hand a case's contacts over as columns, which bulk runs read without building
    pydantic models (``izquvar.trace.tracer.Tracer`` does)."""

    def trace_columns(
        self, person: str, onset: dt.date, isolation: dt.date | None = None, lang: Lang = "en"
    ) -> CaseTrace: ...
