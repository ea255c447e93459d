"""Interview: the people the case named to a contact tracer (Go.Data and SORMAS list contacts this way).

Rules (the ``interview`` section of :mod:`izquvar.trace.rules`): every named person who is identified (by
national ID, or by a phone, resolved to the person registered with it; see :mod:`izquvar.trace.interviews`)
becomes a contact with one evidence row per local day they met that lies in the case's window. The row spans
the whole local day (the interview gives dates, not times): fusion dates the contact by it but counts none of
its minutes (``fuse.DATED_ONLY``), so time GPS, Bluetooth or a roster measured that day is what the contact's
minutes say. Class: ``close_relations`` (household, guest, host) are close; ``repeat_relations`` (none by
default: a rules file may name, say, relatives and friends) are close when met on ``close_days`` (2) days or
more of the window; otherwise the relation's grade (casual; ``other`` possible), so that measured time from
the other sources decides whether a named friend or colleague was close. Risk: the relation's assumed
``minutes_per_day`` × ``p_near`` on each day met. A person named only by a name is not a contact (nobody can
be told), however close.
The row's detail says what the case said: ``relation;first_met;last_met;identified_by``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from izquvar.trace.evidence import EvidenceBatch, TracedCase, empty
from izquvar.trace.result import Source
from izquvar.trace.rules import DEFAULT_RULES, InterviewRules
from izquvar.trace.trace_data import TraceData

_EPOCH = dt.date(1970, 1, 1)


class InterviewSource:
    name: Source = "interview"

    def __init__(self, rules: InterviewRules = DEFAULT_RULES.interview) -> None:
        self.rules = rules

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        rows = data.interviews.of_case(case.person)
        if not len(rows):
            return empty()
        said = data.interviews.table
        contact = said.contact[rows]
        rows = rows[np.asarray([c is not None and c != case.person for c in contact.tolist()], dtype=bool)]
        days = case.local_days()
        if not len(rows) or not days:
            return empty()
        window = np.asarray([(d - _EPOCH).days for d in days], dtype=np.int64)
        first, last = said.first_met[rows], said.last_met[rows]
        # one piece per (named person, local day of the window they met)
        met = (window[None, :] >= first[:, None]) & (window[None, :] <= last[:, None])
        who, at = np.nonzero(met)
        if not len(who):
            return empty()
        r = rows[who]
        offset = int(case.profile.utc_offset.total_seconds())
        start = np.maximum(window[at] * 86_400 - offset, case.start_s)
        end = np.minimum((window[at] + 1) * 86_400 - offset, case.end_s)
        inside = end > start
        r, who, start, end = r[inside], who[inside], start[inside], end[inside]
        if not len(r):
            return empty()
        relation = said.relation[r]
        rules = self.rules
        days_met = np.bincount(who, minlength=len(rows))[who]
        close = np.isin(relation, rules.close_relations) | (
            np.isin(relation, rules.repeat_relations) & (days_met >= rules.close_days)
        )
        grade = np.where(close, "close", np.asarray([rules.grades[x] for x in relation.tolist()], dtype=object))
        # the dose of the assumed time: minutes_per_day × p_near over the row's length
        dose_minutes = np.asarray([rules.minutes_per_day[x] * rules.p_near[x] for x in relation.tolist()])
        p_near = np.minimum(1.0, dose_minutes / ((end - start) / 60.0))
        detail = [
            f"{rel};{_iso(f)};{_iso(la)};{how}"
            for rel, f, la, how in zip(
                relation.tolist(), said.first_met[r].tolist(), said.last_met[r].tolist(),
                said.identified_by[r].tolist(), strict=True,
            )
        ]  # fmt: skip
        setting = np.asarray([s or "" for s in said.setting[r].tolist()], dtype=object)
        setting[np.isin(relation, ("guest", "host")) & (setting == "home")] = "visit"
        return EvidenceBatch.of(
            len(r),
            contact=said.contact[r],
            source="interview",
            start_s=start,
            end_s=end,
            p_near=p_near,
            grade=grade.astype(object),
            qualifies=close,
            setting=setting,
            detail=np.asarray(detail, dtype=object),
        )


def _iso(epoch_day: int) -> str:
    return (_EPOCH + dt.timedelta(days=int(epoch_day))).isoformat()
