"""Real data: SocioPatterns face-to-face records ingested as Bluetooth encounters; izquvar's minutes per contact
equal a direct count of the raw file's 20-second records (issue #4)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from izquvar import open_store
from izquvar.errors import InvalidInput
from izquvar.realdata.sociopatterns import FACE_TO_FACE_DB, read_records, to_ble
from izquvar.trace.tracer import Tracer

pytestmark = pytest.mark.shared
START = dt.date(2026, 3, 2)
#: Badges traced per file: every one of Hospital's 75; every 10th of primaryschool's 242, ranked by records,
#: so busy and quiet badges are both covered while the suite stays quick.
EVERY = {"Hospital.csv": 1, "primaryschool.csv": 10}
LAYOUTS = {"Hospital.csv": (",", "node_a", "node_b", "datetime"), "primaryschool.csv": ("\t", "id1", "id2", "Time")}


def direct_minutes(path: Path) -> dict[str, Counter[str]]:
    """Per badge, per other badge: distinct 20-s records × 20 / 60, read with nothing but the csv module.

    A record is (time, unordered pair); a repeated record would describe the same 20 seconds, so records are
    counted once (neither file used here has repeats, so this equals the plain row count).
    """
    delimiter, left, right, when = LAYOUTS[path.name]
    seen: set[tuple[str, str, str]] = set()
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter=delimiter):
            a, b = sorted((row[left], row[right]))
            seen.add((row[when], a, b))
    counts: dict[str, Counter[str]] = {}
    for _, a, b in seen:
        counts.setdefault(a, Counter())[b] += 1
        counts.setdefault(b, Counter())[a] += 1
    return counts


@pytest.mark.parametrize("name", ["Hospital.csv", "primaryschool.csv"])
def test_minutes_per_contact_equal_the_raw_count(shared_dir: Path, tmp_path: Path, name: str) -> None:
    path = shared_dir / "data" / "sociopatterns" / name
    feed = to_ble(path, START)
    pq.write_table(feed, tmp_path / "ble.parquet")
    store = open_store(tmp_path / "store")
    report = store.ingest([tmp_path / "ble.parquet"])
    assert report.reject_count == 0
    tracer = Tracer(store)
    last_day = max(feed["time"].to_pylist()).date()
    # the window [local midnight of START, local midnight after last_day + 1) holds every record
    onset, isolation = START + dt.timedelta(days=2), last_day + dt.timedelta(days=2)
    dataset = path.stem.lower()
    expected = direct_minutes(path)
    assert sum(sum(c.values()) for c in expected.values()) == 2 * feed.num_rows
    ranked = sorted(expected, key=lambda badge: (-sum(expected[badge].values()), badge))
    for badge in ranked[:: EVERY[name]]:
        others = expected[badge]
        result = tracer.trace(f"{dataset}-{badge}", onset, isolation)
        window = (result.case.window_start, result.case.window_end)
        assert window[0] <= min(feed["time"].to_pylist()) and max(feed["time"].to_pylist()) < window[1]
        traced = {c.person: c.minutes for c in result.contacts}
        wanted = {store.pseudonym(f"{dataset}-{other}"): n * 20 / 60 for other, n in others.items()}
        assert traced.keys() == wanted.keys(), badge
        for person, minutes in wanted.items():
            assert traced[person] == pytest.approx(minutes, abs=0.006), (badge, person)


def test_records_are_20_second_face_to_face_encounters(shared_dir: Path) -> None:
    path = shared_dir / "data" / "sociopatterns" / "Hospital.csv"
    feed = to_ble(path, START)
    assert set(feed["duration_s"].to_pylist()) == {20}
    assert set(feed["attenuation_db"].to_pylist()) == {FACE_TO_FACE_DB} and 55 < FACE_TO_FACE_DB <= 63
    first = feed.slice(0, 1).to_pylist()[0]
    # 2010-12-06 13:02:20 in the file becomes the same time of day on START
    assert first["time"] == dt.datetime(2026, 3, 2, 13, 2, 20, tzinfo=dt.UTC)
    assert first["person_a"] == "hospital-1157" and first["person_b"] == "hospital-1232"
    kept = read_records(path)  # own dates kept without a start date
    assert kept["time"][0].as_py().date() == dt.date(2010, 12, 6)


def test_repeats_and_self_contacts_in_hs2011_are_dropped(shared_dir: Path) -> None:
    path = shared_dir / "data" / "sociopatterns" / "hs2011.csv"
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))[1:]
    distinct = {(t, *sorted((a, b))) for t, a, b, *_ in rows if a != b}
    assert len(distinct) < len(rows)  # the file does have repeats and a self-contact
    assert to_ble(path, START).num_rows == len(distinct)
    with pytest.raises(InvalidInput, match="start date"):
        to_ble(path)


def test_unreadable_layout_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "contacts.csv"
    bad.write_text("a,b,when\n1,2,2010-12-06 13:02:20\n")
    with pytest.raises(InvalidInput, match="badge id columns"):
        to_ble(bad, START)
