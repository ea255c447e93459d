"""The embedded store: idempotency, pseudonyms, keys, reference replacement, stays, table/sql/info."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from hashlib import sha256
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from feedkit import (
    DAY1,
    DAY2,
    NOW,
    PHONE_A,
    PHONE_B,
    PHONE_C,
    VENUES,
    gps_rows,
    iso,
    settings,
    stay_pings,
    write_csv,
    write_kind,
    write_world,
)

from izquvar import open_store
from izquvar.errors import Forbidden, InvalidInput, NotFound, StoreError
from izquvar.formats import ALL_TABLES
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.store import EmbeddedStore, Store


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in _all_files(root) if p.name != ".lock"}


def test_the_embedded_store_is_a_store(store: EmbeddedStore) -> None:
    assert isinstance(store, Store)


def test_open_without_create_needs_a_store(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        open_store(tmp_path / "nothing", create=False)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "data.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not empty"):
        open_store(tmp_path / "busy", settings=settings())


def test_incompatible_store_format_is_refused(tmp_path: Path) -> None:
    open_store(tmp_path / "s", settings=settings())
    config = json.loads((tmp_path / "s" / "store.json").read_text())
    (tmp_path / "s" / "store.json").write_text(json.dumps({**config, "format_version": 99}))
    with pytest.raises(StoreError, match="format 99"):
        open_store(tmp_path / "s", settings=settings())


def test_ingesting_the_same_file_twice_stores_it_once(store: EmbeddedStore, feeds: Path) -> None:
    paths = [*write_world(feeds), write_kind(feeds, "gps", gps_rows())]
    first = store.ingest(paths, now=NOW)
    before = _snapshot(store.root)
    again = store.ingest(paths, now=NOW)
    assert first.batch is not None and again.batch is None
    assert set(again.already_ingested) == {str(p) for p in paths}
    assert _snapshot(store.root) == before
    assert store.table("gps").num_rows == len(gps_rows())
    # A copy under another name has the same content: still already ingested.
    copy = feeds / "copy" / "gps.csv"
    copy.parent.mkdir()
    copy.write_bytes(paths[-1].read_bytes())
    assert store.ingest([copy], now=NOW).already_ingested == (str(copy),)


def test_pseudonyms_are_hmac_sha256_of_the_stripped_identifier(store: EmbeddedStore) -> None:
    key = settings().pseudonym_key_bytes()
    expected = hmac.new(key, PHONE_A.encode(), sha256).hexdigest()[:32]
    assert store.pseudonym(PHONE_A) == expected
    assert store.pseudonym(f"  {PHONE_A} ") == expected
    many = store.pseudonyms([PHONE_A, None, PHONE_B, PHONE_A])
    assert many.to_pylist() == [expected, None, store.pseudonym(PHONE_B), expected]
    long_key = Pseudonymizer(b"k" * 100)
    assert long_key.one("x") == hmac.new(b"k" * 100, b"x", sha256).hexdigest()[:32]


def test_no_raw_identifier_anywhere_in_the_store(store: EmbeddedStore, feeds: Path) -> None:
    people = write_csv(
        feeds / "people.csv",
        ["person", "household", "birth_year", "sex", "phone"],
        [["AB1234567", "h1", "1985", "F", PHONE_C], ["CD7654321", "h1", "1990", "X", PHONE_A]],
    )
    cell = write_csv(
        feeds / "cell.csv",
        ["subscriber", "time", "cell_id"],
        [[PHONE_A, iso(DAY1), "c-1"], [PHONE_B, iso(DAY1), "c-unknown"], [PHONE_C, "bad", "c-1"]],
    )
    ble = write_csv(
        feeds / "ble.csv",
        ["person_a", "person_b", "time", "duration_s", "attenuation_db"],
        [[PHONE_A, PHONE_B, iso(DAY1), "300", "55"], [PHONE_C, PHONE_C, iso(DAY1), "30", "60"]],
    )
    gps = write_kind(feeds, "gps", [*gps_rows(), gps_rows()[0]])
    report = store.ingest([*write_world(feeds), people, cell, ble, gps], now=NOW)
    assert report.reject_count >= 4
    canonical = [p.lstrip("+") for p in (PHONE_A, PHONE_B, PHONE_C)]
    raw_ids = [PHONE_A, PHONE_B, PHONE_C, "AB1234567", "CD7654321", *canonical]
    for path in _all_files(store.root):
        data = path.read_bytes()
        for raw in raw_ids:
            assert raw.encode() not in data, f"{raw} found in {path.relative_to(store.root)}"
    assert store.pseudonym(PHONE_A) in store.table("gps")["person"].to_pylist()
    assert store.phone_pseudonym(PHONE_C) in store.table("people")["phone"].to_pylist()


def test_a_store_refuses_another_key(store: EmbeddedStore, feeds: Path) -> None:
    other = open_store(store.root, settings=settings(pseudonym_key="another-key-0123456789abcdef0123456"))
    with pytest.raises(Forbidden, match="not the one this store was built with"):
        other.ingest([write_kind(feeds, "gps", gps_rows())], now=NOW)
    with pytest.raises(Forbidden):
        other.pseudonym(PHONE_A)
    assert other.table("gps").num_rows == 0  # reading needs no key


def test_production_refuses_the_development_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZQUVAR_ENV", "production")
    monkeypatch.delenv("IZQUVAR_PSEUDONYM_KEY", raising=False)
    with pytest.raises(Forbidden, match="development key"):
        open_store(tmp_path / "prod")
    assert not (tmp_path / "prod" / "store.json").exists()
    monkeypatch.setenv("IZQUVAR_PSEUDONYM_KEY", "p" * 40)
    assert open_store(tmp_path / "prod").pseudonym("x") == hmac.new(b"p" * 40, b"x", sha256).hexdigest()[:32]


def test_later_reference_batches_replace_rows_by_key(store: EmbeddedStore, feeds: Path) -> None:
    store.ingest([write_kind(feeds / "one", "venues", VENUES)], now=NOW)
    renamed = [
        {**VENUES[0], "name": "School 12 (renovated)", "capacity": "700"},
        {**VENUES[0], "venue_id": "v-clinic", "category": "clinic", "name": "Polyclinic 3"},
    ]
    store.ingest([write_kind(feeds / "two", "venues", renamed)], now=NOW)
    venues = {v["venue_id"]: v for v in store.table("venues").to_pylist()}
    assert sorted(venues) == ["v-bazaar", "v-choyxona", "v-clinic", "v-school"]
    assert (venues["v-school"]["name"], venues["v-school"]["capacity"]) == ("School 12 (renovated)", 700)
    assert len(list((store.root / "venues").glob("*.parquet"))) == 1  # compacted: one live file


def test_records_are_placed_in_areas_through_their_place(store: EmbeddedStore, feeds: Path) -> None:
    t = iso(DAY1 + dt.timedelta(hours=9))
    cell = write_csv(feeds / "cell.csv", ["subscriber", "time", "cell_id"], [[PHONE_A, t, "c-1"]])
    card = write_csv(feeds / "card.csv", ["card_holder", "time", "merchant_id"], [[PHONE_A, t, "m-1"]])
    checkins = write_csv(feeds / "checkins.csv", ["person", "venue_id", "check_in"], [[PHONE_A, "v-bazaar", t]])
    store.ingest([*write_world(feeds), cell, card, checkins], now=NOW)
    from izquvar.geo.areas import AreaIndex

    index = AreaIndex.default()
    tower = index.locate([41.31], [69.28]).to_pylist()[0]
    bazaar = index.locate([41.3265], [69.2340]).to_pylist()[0]
    assert tower["region_id"] is not None and bazaar["mahalla_id"] is not None
    assert store.table("cell", ["region_id", "district_id", "mahalla_id"]).to_pylist() == [tower]
    assert store.table("checkins", ["region_id", "district_id", "mahalla_id"]).to_pylist() == [bazaar]
    card_row = store.table("card").to_pylist()[0]
    assert card_row["venue_id"] == "v-bazaar"
    assert {k: card_row[k] for k in bazaar} == bazaar


def test_stays_are_derived_placed_and_matched_to_venues(store: EmbeddedStore, feeds: Path) -> None:
    store.ingest([*write_world(feeds), write_kind(feeds, "gps", gps_rows())], now=NOW)
    stays = store.table("stays").sort_by([("person", "ascending"), ("start", "ascending")]).to_pylist()
    by_person: dict[str, list[dict[str, object]]] = {}
    for stay in stays:
        by_person.setdefault(str(stay["person"]), []).append(stay)
    a, b = by_person[store.pseudonym(PHONE_A)], by_person[store.pseudonym(PHONE_B)]
    assert [(s["start"], s["venue_id"], s["n_pings"]) for s in a] == [
        (DAY1 + dt.timedelta(hours=8), "v-school", 13),
        (DAY1 + dt.timedelta(hours=10), "v-bazaar", 7),
    ]
    assert [(s["start"], s["end"], s["venue_id"]) for s in b] == [
        (DAY1 + dt.timedelta(hours=23), DAY2 + dt.timedelta(hours=1, minutes=5), "v-choyxona")
    ]
    assert all(s["accuracy_m"] == 10.0 and s["region_id"] for s in stays)
    assert sorted(p.parent.name for p in (store.root / "stays").rglob("*.parquet")) == ["day=2026-03-02"]


def test_stays_across_midnight_are_recomputed_when_the_next_day_arrives(store: EmbeddedStore, feeds: Path) -> None:
    rows = stay_pings(PHONE_B, 41.3000, 69.2500, DAY1 + dt.timedelta(hours=23), 120)
    rows += stay_pings(PHONE_B, 41.3600, 69.3100, DAY2 + dt.timedelta(hours=1, minutes=5), 0)
    day1 = [r for r in rows if r["time"] < iso(DAY2)]
    day2 = [r for r in rows if r["time"] >= iso(DAY2)]
    store.ingest([*write_world(feeds), write_kind(feeds / "d1", "gps", day1)], now=NOW)
    assert store.table("stays").num_rows == 0  # still there at 23:55: not a finished stay yet
    store.ingest([write_kind(feeds / "d2", "gps", day2)], now=NOW)
    stays = store.table("stays").to_pylist()
    assert [(s["start"], s["end"], s["n_pings"]) for s in stays] == [
        (DAY1 + dt.timedelta(hours=23), DAY2 + dt.timedelta(hours=1, minutes=5), 25)
    ]
    # Ingesting pings of someone else on the same days leaves B's stay alone.
    other = stay_pings(PHONE_C, 41.3265, 69.2340, DAY2 + dt.timedelta(hours=3), 20)
    other += stay_pings(PHONE_C, 41.40, 69.40, DAY2 + dt.timedelta(hours=3, minutes=25), 0)
    store.ingest([write_kind(feeds / "d3", "gps", other)], now=NOW)
    assert sorted(s["person"] for s in store.table("stays").to_pylist()) == sorted(
        [store.pseudonym(PHONE_B), store.pseudonym(PHONE_C)]
    )


def test_table_selects_columns_and_days(store: EmbeddedStore, feeds: Path) -> None:
    store.ingest([write_kind(feeds, "gps", gps_rows())], now=NOW)
    day2 = store.table("gps", ["person", "time"], days=[DAY2.date()])
    assert day2.column_names == ["person", "time"]
    assert pc.min(day2["time"]).as_py() >= DAY2
    assert day2.num_rows == sum(1 for r in gps_rows() if r["time"] >= iso(DAY2))
    assert store.table("lab").num_rows == 0 and store.table("lab").schema.names[0] == "person"
    with pytest.raises(InvalidInput):
        store.table("wifi")
    with pytest.raises(InvalidInput):
        store.table("gps", ["altitude"])


def test_sql_has_one_view_per_table(store: EmbeddedStore, feeds: Path) -> None:
    store.ingest([*write_world(feeds), write_kind(feeds, "gps", gps_rows())], now=NOW)
    for name in ALL_TABLES:
        assert store.sql(f"SELECT count(*) AS n FROM {name}").column("n")[0].as_py() == store.table(name).num_rows
    joined = store.sql(
        "SELECT v.name, count(*) AS n FROM stays s JOIN venues v USING (venue_id) GROUP BY v.name ORDER BY v.name"
    )
    assert joined.to_pylist() == [
        {"name": "Chorsu bazaar", "n": 1},
        {"name": "Choyxona", "n": 1},
        {"name": "School 12", "n": 1},
    ]
    with pytest.raises(InvalidInput, match="SQL failed"):
        store.sql("SELECT * FROM nowhere")


def test_info_counts_every_table_people_and_time_range(store: EmbeddedStore, feeds: Path) -> None:
    empty = store.info()
    assert empty["counts"] == dict.fromkeys(ALL_TABLES, 0)
    assert empty["people"] == 0 and empty["time_range"] == {"start": None, "end": None}
    bad = write_csv(feeds / "cell.csv", ["subscriber", "time", "cell_id"], [[PHONE_C, iso(DAY1), "c-9"]])
    store.ingest([*write_world(feeds), write_kind(feeds, "gps", gps_rows()), bad], now=NOW)
    info = store.info()
    assert info["counts"]["gps"] == len(gps_rows())
    assert info["counts"]["venues"] == 3 and info["counts"]["stays"] == 3 and info["counts"]["rejects"] == 1
    assert info["rejects"] == 1 and info["batches"] == 1 and info["people"] == 2
    assert info["time_range"] == {"start": "2026-03-02T08:00:00Z", "end": "2026-03-03T01:05:00Z"}
    assert info["retention_days"] == 14 and info["size_bytes"] > 0
    assert info["key_fingerprint"] == settings().pseudonym_key_fingerprint()
    json.dumps(info)


def test_orphans_of_an_interrupted_writer_are_removed_on_open(store: EmbeddedStore, feeds: Path) -> None:
    store.ingest([write_kind(feeds, "gps", gps_rows())], now=NOW)
    before = _snapshot(store.root)
    stray = store.root / "gps" / "day=2026-03-09" / "20260309T000000Z-dead.parquet"
    stray.parent.mkdir()
    stray.write_bytes(b"half a file")
    staged = store.root / ".staging" / "x" / "gps" / "a.parquet"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"staged")
    unrelated = store.root / "NOTES.txt"
    unrelated.write_text("keep me")
    open_store(store.root, settings=settings())
    after = _snapshot(store.root)
    assert after.pop("NOTES.txt") == b"keep me"
    assert after == before


def test_empty_batches_commit_nothing(store: EmbeddedStore, feeds: Path) -> None:
    path = write_csv(feeds / "gps.csv", ["person", "time", "lat", "lon", "accuracy_m"], [])
    report = store.ingest([path], now=NOW)
    assert report.stored == {"gps": 0} and report.reject_count == 0
    assert store.info()["batches"] == 1
    assert store.table("gps").equals(pa.Table.from_batches([], store.table("gps").schema))


def test_report_describe_summarises_the_batch(store: EmbeddedStore, feeds: Path) -> None:
    bad = write_csv(feeds / "cell.csv", ["subscriber", "time", "cell_id"], [[PHONE_C, iso(DAY1), "c-9"]])
    paths = [*write_world(feeds), write_kind(feeds, "gps", gps_rows()), bad]
    text = store.ingest(paths, now=NOW).describe()
    assert f"gps {len(gps_rows())}" in text and "stays 3" in text
    assert "rejected 1 row(s), 1 problem(s): unknown_reference 1" in text
    again = store.ingest(paths, now=NOW).describe()
    assert "stored nothing new" in again and "already ingested (skipped): 5 file(s)" in again


@pytest.mark.parametrize("days", [3, 12])  # both ways of cutting partitions (filter per day, sort)
def test_each_day_partition_holds_exactly_its_days_rows(store: EmbeddedStore, feeds: Path, days: int) -> None:
    rows = [
        {
            "person": f"+99890{p:07d}",
            "time": iso(DAY1 + dt.timedelta(days=d, hours=p)),
            "lat": "41.3",
            "lon": "69.2",
            "accuracy_m": "5",
        }
        for p in range(3)
        for d in reversed(range(days))
    ]
    store.ingest([write_kind(feeds, "gps", rows)], now=NOW + dt.timedelta(days=days))
    import pyarrow.parquet as pq

    files = sorted((store.root / "gps").rglob("*.parquet"))
    assert len(files) == days
    for path in files:
        day = dt.date.fromisoformat(path.parent.name.removeprefix("day="))
        times = pq.read_table(path)["time"].to_pylist()
        assert len(times) == 3 and {t.date() for t in times} == {day}


def test_a_table_read_day_by_day_is_the_whole_table(store: EmbeddedStore, feeds: Path) -> None:
    store.ingest([*write_world(feeds), write_kind(feeds, "gps", gps_rows())], now=NOW)
    for kind in ("gps", "stays", "venues"):
        parts = list(store.table_by_day(kind))
        days = [day for day, _ in parts]
        dated = [d for d in days if d is not None]
        assert dated == sorted(set(dated))
        whole = store.table(kind)
        joined = pa.concat_tables([t for _, t in parts])
        assert joined.num_rows == whole.num_rows > 0
        assert sorted(map(str, joined.to_pylist())) == sorted(map(str, whole.to_pylist()))
        for day, table in parts:
            if day is not None:
                assert table.equals(store.table(kind, days=[day]))
    assert [d for d, _ in store.table_by_day("stays")] == sorted({d for d, _ in store.table_by_day("stays")})
    with pytest.raises(InvalidInput, match="unknown table"):
        list(store.table_by_day("nonsense"))
