"""Terminal tables: in the chosen language, contacts ranked by risk, data shown literally (no rich markup)."""

from __future__ import annotations

import re

import pytest
from trace_samples import empty_trace, sample_trace

from izquvar.i18n import LANGS, Lang, catalog
from izquvar.report.table import trace_text


@pytest.mark.parametrize("lang", LANGS)
def test_headings_are_in_the_language(lang: Lang) -> None:
    text = trace_text(sample_trace(lang), lang, width=240)
    words = catalog("report", lang)
    for key in ("report.title", "section.places", "section.contacts", "col.explanation", "class.close"):
        assert words[key] in text, key


def test_contacts_ranked_by_risk_with_class_minutes_and_explanation() -> None:
    result = sample_trace()
    text = trace_text(result, "en", width=400)
    order = sorted(result.contacts, key=lambda c: -c.risk)
    positions = [text.index(c.person) for c in order]
    assert positions == sorted(positions)
    first = next(line for line in text.splitlines() if order[0].person in line)
    assert "Close" in first and "21 h 30 min" in first and order[0].explanation in first


def test_places_in_time_order_in_tashkent_time() -> None:
    text = trace_text(sample_trace(), "en", width=400)
    rows = [line for line in text.splitlines() if re.match(r"│\s+\d+ │", line)]
    assert len(rows) == 10 + 20  # places, then contacts
    assert "10 Mar 2026, 08:00" in rows[1] and "110-maktab" in rows[1]


def test_data_is_not_read_as_markup() -> None:
    result = sample_trace()
    odd = result.contacts[0].model_copy(update={"explanation": "[bold red]not markup[/bold red]"})
    text = trace_text(result.model_copy(update={"contacts": [odd]}), "en", width=400)
    assert "[bold red]not markup[/bold red]" in text


def test_empty_trace_says_so() -> None:
    text = trace_text(empty_trace("uz-Cyrl"), "uz-Cyrl")
    assert catalog("report", "uz-Cyrl")["empty.places"] in text
    assert catalog("report", "uz-Cyrl")["empty.contacts"] in text
