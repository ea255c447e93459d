"""The HTML report in a real browser (Debian's Chromium through Playwright): offline, complete, sortable.

Skips where /usr/bin/chromium or the playwright package is absent; CI installs both (and turns skips into
failures). Playwright's own browser downloads are never used: the system Chromium is launched directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from trace_samples import sample_trace

from izquvar.i18n import Lang, catalog
from izquvar.report.html import render_html

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
    pytest.skip("Debian's chromium (/usr/bin/chromium) is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.mark.parametrize("lang", ["uz-Cyrl", "en"])
def test_report_opens_offline_with_every_part(browser, tmp_path: Path, lang: Lang) -> None:  # type: ignore[no-untyped-def]
    result = sample_trace(lang)
    report = tmp_path / f"report-{lang}.html"
    report.write_text(render_html(result, lang), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(report.as_uri(), wait_until="load")

    assert requests == [report.as_uri()]
    assert problems == []  # a CSP violation (a blocked request or script) would be reported here
    assert page.get_attribute("html", "lang") == lang
    words = catalog("report", lang)
    assert page.locator("h1").inner_text() == words["report.title"]
    for key in ("section.map", "section.timeline", "section.contacts", "section.places"):
        assert page.get_by_role("heading", name=words[key], exact=True).is_visible()

    for selector in ("svg#map", "svg#timeline", "table#contacts", "table#places"):
        box = page.locator(selector).bounding_box()
        assert page.locator(selector).is_visible() and box is not None and box["height"] > 100, selector
    assert page.locator("svg#map circle.encounter").count() > 0
    assert page.locator("svg#map g.place").count() == 8
    assert page.locator("table#contacts tbody tr").count() == len(result.contacts)
    assert page.locator("table#places tbody tr").count() == len(result.places)

    # the inline script runs under the CSP: clicking "Risk" sorts ascending
    risks = sorted(c.risk for c in result.contacts)
    page.get_by_role("columnheader", name=words["col.risk"], exact=True).click()
    first = page.locator("table#contacts tbody tr").first.locator("td").nth(3)
    assert float(first.get_attribute("data-value") or "nan") == risks[0]

    shot = tmp_path / f"report-{lang}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000

    page.emulate_media(media="print")
    assert not page.locator("p.no-print").is_visible()
    page.close()
