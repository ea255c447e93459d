"""The tracer: for a case, its places and contacts from every source in the store, ranked and explained.

``Tracer(store)`` loads every table and index once (seconds the first time, a memory map afterwards);
``Tracer.trace(person, onset)`` then answers one case in milliseconds, and ``Tracer.refresh()`` follows the store
as batches land, rebuilding only what they changed. ``izquvar.open_store(path).trace(...)`` keeps one tracer.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from izquvar.errors import InvalidInput, NotFound
from izquvar.geo.placement import area_index
from izquvar.i18n import LANGS, Lang
from izquvar.store.protocol import FeedReader, IndexCache, Pseudonyms
from izquvar.trace.disease import DiseaseProfile
from izquvar.trace.evidence import EvidenceSource, TracedCase, evidence_columns
from izquvar.trace.fuse import SOURCE_ORDER, FusedContacts, VenueCache, fuse_contacts
from izquvar.trace.places import case_places
from izquvar.trace.result import CaseRef, Place, Source, TraceResult, TraceSummary
from izquvar.trace.rules import DiseaseRules, TracingRules, rules_from_settings
from izquvar.trace.sources import default_sources
from izquvar.trace.trace_data import TraceData

if TYPE_CHECKING:
    from izquvar.trace.engine import ColocationEngine

DateLike = dt.date | dt.datetime | str


class Tracer:
    """Traces cases against one store's feeds, loaded once and kept current as batches land (:meth:`refresh`).

    The one way in: ``Tracer(feeds)``, where ``feeds`` is any :class:`~izquvar.store.protocol.FeedReader`.
    ``pseudonyms`` (to accept raw identifiers) and ``cache`` (to keep the indexes between processes) default to
    ``feeds`` itself when it offers them, as a whole store does; pass them to use others, or ``cache=None`` and
    a reader without one to trace from memory alone. ``rules`` (:class:`~izquvar.trace.rules.TracingRules`): every
    threshold the sources, places and window apply; default: the settings' rules file, else the built-in rules.
    """

    def __init__(
        self,
        feeds: FeedReader,
        *,
        pseudonyms: Pseudonyms | None = None,
        cache: IndexCache | None = None,
        profile: DiseaseProfile | None = None,
        sources: Sequence[EvidenceSource] | None = None,
        lang: Lang = "en",
        rules: TracingRules | None = None,
    ) -> None:
        rules = rules if rules is not None else rules_from_settings()
        if profile is not None:  # a profile given in code is the disease the rules are recorded with
            rules = rules.model_copy(update={"disease": DiseaseRules.of(profile)})
        #: Every rule this tracer applies (default: the settings' rules file, else the built-in rules).
        self.rules = rules
        self._rule_parameters = rules.parameters()  # flattened once: every result records them
        self.feeds = feeds
        self.pseudonyms = pseudonyms if pseudonyms is not None else _offered_pseudonyms(feeds)
        self.cache = cache if cache is not None else _offered_cache(feeds)
        self.profile = rules.disease.profile()
        self.sources = tuple(sources) if sources is not None else default_sources(self.rules)
        self.lang = _lang(lang)
        self._lock = threading.Lock()
        self.data = TraceData.load(feeds, self.cache, venue_rules=rules.venues)
        self._areas_version = dict(feeds.partitions("areas"))
        self.areas = area_index(feeds.table("areas"))
        #: Venue references made so far, shared by this tracer's traces (one TraceData load).
        self._venues: VenueCache = {}

    def with_sources(self, sources: Sequence[EvidenceSource]) -> Tracer:
        """This tracer with other evidence sources (e.g. one alone), sharing its loaded data."""
        other = copy.copy(self)
        other.sources = tuple(sources)
        other._lock = threading.Lock()
        return other

    def with_colocation(self, engine: ColocationEngine) -> Tracer:
        """This tracer asking ``engine`` who was near whom (e.g. a :class:`~izquvar.trace.engines.postgis.PostgisEngine`
        loaded with :attr:`data`'s stays), sharing everything else it loaded."""
        other = self.with_sources(self.sources)
        other.data = replace(self.data, colocation=engine)
        return other

    def refresh(self) -> bool:
        """Follow the store: when a batch has landed since the last load, load again, reusing every part whose
        partitions did not change (a day of pings rebuilds that day's stay index; lab results rebuild nothing).
        Whether anything was reloaded."""
        with self._lock:
            if self.feeds.generation() == self.data.generation:
                return False
            self.data = TraceData.load(self.feeds, self.cache, previous=self.data, venue_rules=self.rules.venues)
            areas = dict(self.feeds.partitions("areas"))
            if areas != self._areas_version:
                self.areas, self._areas_version = area_index(self.feeds.table("areas")), areas
            self._venues = {}
            return True

    def resolve(self, person: str) -> str:
        """The pseudonym of ``person``: itself when the store knows it as a pseudonym, else its keyed hash."""
        if not isinstance(person, str) or not person.strip():
            raise InvalidInput(f"person must be a non-empty identifier, got {person!r}")
        person = person.strip()
        if self.data.knows(person):
            return person
        if self.pseudonyms is None:
            raise NotFound(f"person {person!r} is not a pseudonym of the store (and no key is at hand to hash it)")
        pseudonym = self.pseudonyms.pseudonym(person)
        if self.data.knows(pseudonym):
            return pseudonym
        raise NotFound(f"person {person!r} is not in the store (neither as a pseudonym nor as a raw identifier)")

    def window(self, onset: DateLike, isolation: DateLike | None = None) -> tuple[dt.datetime, dt.datetime]:
        """The case's infectious window, ``[start, end)`` UTC (see :meth:`DiseaseProfile.window`)."""
        data_end = dt.datetime.fromtimestamp(self.data.data_end_s, dt.UTC) if self.data.data_end_s else None
        onset_day = _date(onset, "onset")
        assert onset_day is not None  # _date refuses a missing onset
        return self.profile.window(onset_day, _date(isolation, "isolation"), data_end)

    def trace(
        self, person: str, onset: DateLike, isolation: DateLike | None = None, lang: Lang | None = None
    ) -> TraceResult:
        """Places and contacts of ``person`` (raw id or pseudonym) in the infectious window."""
        with _collector_paused():
            return self._trace(person, onset, isolation, lang).result()

    def trace_columns(
        self, person: str, onset: DateLike, isolation: DateLike | None = None, lang: Lang | None = None
    ) -> CaseTrace:
        """:meth:`trace` with the contacts left as columns, for bulk runs (``.result()`` is what ``trace`` gives)."""
        with _collector_paused():
            return self._trace(person, onset, isolation, lang)

    def _trace(self, person: str, onset: DateLike, isolation: DateLike | None, lang: Lang | None) -> CaseTrace:
        began = time.perf_counter()
        language = _lang(lang or self.lang)
        pseudonym = self.resolve(person)
        onset_day = _date(onset, "onset")
        isolation_day = _date(isolation, "isolation")
        assert onset_day is not None
        start, end = self.window(onset_day, isolation_day)
        # sources look only where data exist: a household night assumed before the feeds begin or after they end
        # would be evidence of nothing
        start_s = max(int(start.timestamp()), self.data.data_start_s)
        end_s = max(start_s, min(int(end.timestamp()), self.data.data_end_s or int(end.timestamp())))
        case = TracedCase(
            person=pseudonym,
            onset=onset_day,
            start_s=start_s,
            end_s=end_s,
            profile=self.profile,
            phone=self.data.phone_of(pseudonym),
            home=self.data.home_of(pseudonym),
            stays=self.data.stays_of(pseudonym, start_s, end_s),
        )
        frames = [source.evidence(case, self.data) for source in self.sources]
        evidence = evidence_columns([f for f in frames if len(f)], exclude=pseudonym)
        contacts = fuse_contacts(evidence, case, self.data, language, self.areas, self._venues)
        places = case_places(case, self.data, language, self.areas, self.rules)
        used = set(evidence["source"].tolist())
        for place in places:
            used.update(place.sources)
        return CaseTrace(
            case=CaseRef(
                person=pseudonym, onset=onset_day, isolation=isolation_day, window_start=start, window_end=end
            ),
            parameters=self.parameters(),
            places=places,
            contacts=contacts,
            sources_used=[s for s in SOURCE_ORDER if s in used],
            began=began,
        )

    def parameters(self) -> dict[str, float | int | str | bool]:
        """Every rule (dotted keys, ``gps.query_m``), the disease and the store generation, recorded in every
        result so that a trace can be reproduced."""
        return {"disease": self.profile.name, **self._rule_parameters, "store_generation": self.data.generation}


@dataclass(frozen=True)
class CaseTrace:
    """One case's trace with its contacts still columns (:class:`FusedContacts`). Why: a bulk run needs tables,
    not thousands of pydantic objects per case; :meth:`result` builds the :class:`TraceResult` on demand."""

    case: CaseRef
    parameters: dict[str, float | int | str | bool]
    places: list[Place]
    contacts: FusedContacts
    sources_used: list[Source]
    #: ``time.perf_counter()`` when the trace began (the result's ``elapsed_ms`` runs until it is built).
    began: float

    def result(self) -> TraceResult:
        """The trace as the documented result."""
        contacts = self.contacts.models()
        return TraceResult(
            case=self.case,
            parameters=self.parameters,
            places=self.places,
            contacts=contacts,
            summary=TraceSummary(
                places=len(self.places),
                contacts=self.contacts.counts(),
                sources_used=self.sources_used,
                elapsed_ms=round((time.perf_counter() - self.began) * 1000.0, 3),
            ),
        )


def _offered_pseudonyms(feeds: FeedReader) -> Pseudonyms | None:
    """``feeds`` itself where it also hashes identifiers (a whole store does), else ``None``."""
    return feeds if isinstance(feeds, Pseudonyms) else None


def _offered_cache(feeds: FeedReader) -> IndexCache | None:
    """``feeds`` itself where it also keeps derived indexes (a whole store does), else ``None``."""
    return feeds if isinstance(feeds, IndexCache) else None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off for one trace. Why: a large trace allocates tens of thousands
    of small result objects, none in a reference cycle, and each allocation burst triggers collections that
    walk every tracked object alive (earlier results included): measured, they doubled the slowest traces.
    Reference counting still frees everything; the collector runs again as soon as the trace returns (it is
    left disabled only if it was disabled before, so concurrent traces end with it enabled)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _date(value: Any, name: str) -> dt.date | None:
    if value is None:
        if name == "onset":
            raise InvalidInput("onset is required (symptom onset, or specimen date when asymptomatic)")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    raise InvalidInput(f"{name}: expected a date, got {value!r}")


def _lang(lang: str) -> Lang:
    if lang not in LANGS:
        raise InvalidInput(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    return lang
