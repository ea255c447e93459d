"""What the population-level steps need from a tracer: one case in, one :class:`TraceResult` out."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from izquvar.i18n import Lang
from izquvar.trace.result import TraceResult


class CaseTracer(Protocol):
    """``izquvar.trace.tracer.Tracer`` satisfies this; tests pass hand-made results through a fake."""

    def trace(
        self, person: str, onset: dt.date, isolation: dt.date | None = None, lang: Lang = "en"
    ) -> TraceResult: ...
