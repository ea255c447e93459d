"""The HTML report: self-contained (no request possible), escaped, in the chosen language, with every part."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from trace_samples import HOSTILE_NAME, empty_trace, sample_trace

from izquvar.i18n import LANGS, Lang, catalog
from izquvar.report.html import render_html

SVG = "{http://www.w3.org/2000/svg}"


class _Collector(HTMLParser):
    """Tags, attributes and rows, to check the document without a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.table: str | None = None
        self.rows: dict[str, int] = {}
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table":
            self.table = attributes.get("id")
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body and self.table:
            self.rows[self.table] = self.rows.get(self.table, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_body = False


def _parse(document: str) -> _Collector:
    collector = _Collector()
    collector.feed(document)
    return collector


@pytest.fixture(scope="module")
def reports() -> dict[Lang, str]:
    return {lang: render_html(sample_trace(lang), lang) for lang in LANGS}


def test_nothing_in_the_document_can_make_a_request(reports: dict[Lang, str]) -> None:
    document = reports["en"]
    for tag, attributes in _parse(document).tags:
        assert tag not in {"link", "img", "iframe", "object", "embed", "image", "use", "base"}, tag
        for name in ("src", "href", "xlink:href", "srcset", "action", "poster"):
            assert name not in attributes, (tag, name)
    assert "url(" not in document and "@import" not in document and "@font-face" not in document
    # The only URLs are XML namespace names, which are identifiers, not requests.
    assert set(re.findall(r"https?://[^\s\"'<>]+", document)) == {"http://www.w3.org/2000/svg"}


def test_content_security_policy_allows_exactly_the_inline_script(reports: dict[Lang, str]) -> None:
    document = reports["en"]
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', document)
    assert policy is not None
    rules = html.unescape(policy.group(1))
    assert "default-src 'none'" in rules
    scripts = re.findall(r"<script>(.*?)</script>", document, flags=re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in rules


def test_strings_from_data_are_escaped(reports: dict[Lang, str]) -> None:
    for document in reports.values():
        assert HOSTILE_NAME not in document
        assert "<script>alert" not in document
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Choyxona &amp; &quot;Oqtepa&quot;" in document


@pytest.mark.parametrize("lang", LANGS)
def test_report_is_in_the_chosen_language(reports: dict[Lang, str], lang: Lang) -> None:
    document = reports[lang]
    assert f'<html lang="{lang}">' in document
    words = catalog("report", lang)
    for key in ("report.title", "section.map", "section.timeline", "section.contacts", "class.close"):
        assert words[key].replace("'", "&#x27;") in document, key
    others = [
        other for other in LANGS if other != lang and catalog("report", other)["report.title"] != words["report.title"]
    ]
    for other in others:
        assert catalog("report", other)["report.title"] not in document


def test_map_labels_areas_in_the_language(reports: dict[Lang, str]) -> None:
    assert "Yunusobod tumani" in reports["uz-Latn"]
    assert "Юнусобод тумани" in reports["uz-Cyrl"]
    assert "Юнусабадский район" in reports["ru"]
    assert "Yunusabad District" in reports["en"]


def test_tables_have_a_row_per_contact_and_place(reports: dict[Lang, str]) -> None:
    rows = _parse(reports["en"]).rows
    assert rows == {"contacts": 20, "places": 10}


def test_contacts_are_ranked_by_risk_without_javascript(reports: dict[Lang, str]) -> None:
    risks = [
        float(v)
        for v in re.findall(
            r'<td class=num data-value="([0-9.]+)">[0-9.,]+</td><td class=num data-value="[0-9.]+">', reports["en"]
        )
    ]
    result = sample_trace()
    assert risks[: len(result.contacts)] == sorted((c.risk for c in result.contacts), reverse=True)


def test_svg_parts_are_well_formed_and_complete(reports: dict[Lang, str]) -> None:
    document = reports["en"]
    result = sample_trace()
    svgs = {m.group(1): ET.fromstring(m.group(0)) for m in re.finditer(r'<svg id="(\w+)".*?</svg>', document, re.S)}
    assert set(svgs) == {"map", "timeline"}
    mapped = svgs["map"]
    assert len(mapped.findall(f".//{SVG}polyline")) == 1
    dots = mapped.findall(f".//{SVG}circle[@data-class]")
    assert {d.get("data-class") for d in dots} == {"close", "casual", "possible"}
    # every located contact is somewhere on the map
    drawn = sum(int(d.get("data-people", "0")) for d in dots)
    assert drawn >= len({c.person for c in result.contacts if any(e.lat is not None for e in c.evidence)})
    assert "geoBoundaries" in document and "CC BY 3.0 IGO" in document


def test_print_styles_and_no_script_fallback(reports: dict[Lang, str]) -> None:
    document = reports["en"]
    assert "@media print" in document
    assert "<details>" in document  # evidence opens without JavaScript


def test_parameters_are_recorded_for_reproduction(reports: dict[Lang, str]) -> None:
    assert "<code>close_distance_m</code> = 2.0" in reports["ru"]
    assert catalog("report", "ru")["report.parameters"] in reports["ru"]


def test_an_empty_trace_still_renders() -> None:
    document = render_html(empty_trace("ru"), "ru")
    assert catalog("report", "ru")["map.empty"] in document
    assert catalog("report", "ru")["empty.contacts"] in document
    assert '<svg id="map"' not in document and '<svg id="timeline"' in document
