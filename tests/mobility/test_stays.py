"""detect_stays on hand-made pings whose stays are known: thresholds, gaps, people, order, input kinds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stay_pings import T0, east, pings_frame

from izquvar import detect_stays
from izquvar.errors import InvalidInput
from izquvar.mobility import _kernels

# Someone at home from 0 to 10 min (pings every minute, jitter of a few metres), then walking away.
HOME_THEN_WALK = [
    *[("ana", m, 3.0 * (m % 2), 2.0 * (m % 3)) for m in range(11)],
    ("ana", 11, 150, 0),
    ("ana", 12, 400, 0),
]


def _as_tuples(stays: pd.DataFrame) -> list[tuple[object, ...]]:
    return list(stays.itertuples(index=False, name=None))


def test_a_stay_ends_at_the_first_ping_that_left() -> None:
    stays = detect_stays(pings_frame(HOME_THEN_WALK))
    assert len(stays) == 1
    stay = stays.iloc[0]
    assert stay["person"] == "ana"
    assert stay["start"] == T0
    assert stay["end"] == T0 + pd.Timedelta(minutes=11)
    assert stay["n_pings"] == 11
    # Distinct locations: (0,0), (3,2), (0,4), (3,0), (0,2), (3,4): each counted once.
    assert stay["lon"] == pytest.approx(east(1.5), abs=1e-12)
    assert stay["lat"] == pytest.approx(east(2.0), abs=1e-12)


def test_result_columns_and_types() -> None:
    stays = detect_stays(pings_frame(HOME_THEN_WALK))
    assert list(stays.columns) == ["person", "start", "end", "lat", "lon", "n_pings"]
    assert str(stays["start"].dtype) == "datetime64[us, UTC]"
    assert str(stays["end"].dtype) == "datetime64[us, UTC]"
    assert stays["n_pings"].dtype == np.int64


def test_time_threshold_is_inclusive() -> None:
    rows = [("ana", 0, 0, 0), ("ana", 5, 10, 0), ("ana", 6, 500, 0)]
    assert len(detect_stays(pings_frame(rows), time_min=6)) == 1  # 6 min from first to leaving ping
    assert len(detect_stays(pings_frame(rows), time_min=6.01)) == 0


def test_distance_threshold_is_inclusive_at_the_exact_double() -> None:
    """The ping that decides is compared as trackintel compares it: distance >= dist_m, to the last bit."""
    dist = _kernels.great_circle_m(0.0, 0.0, east(100.0), 0.0)
    rows = [("ana", 0, 0, 0), ("ana", 10, 100.0, 0)]
    assert len(detect_stays(pings_frame(rows), dist_m=dist, time_min=5)) == 1
    assert len(detect_stays(pings_frame(rows), dist_m=math.nextafter(dist, math.inf), time_min=5)) == 0


def test_moved_cutoff_is_where_the_distance_test_flips() -> None:
    for dist in (0.5, 30.0, 100.0, 250.0, 5_000.0, 2e7):
        cutoff = _kernels.moved_cutoff(dist)
        assert 6_371_000 * math.acos(cutoff) >= dist
        assert not 6_371_000 * math.acos(min(1.0, math.nextafter(cutoff, 2.0))) >= dist
    assert _kernels.moved_cutoff(3e7) < -1.0  # farther than half the globe: never reached


def test_gap_longer_than_threshold_restarts_the_window() -> None:
    # 0-4 min at home, silence of 16 min, back at home 20-30 min, then leaves.
    rows = [("ana", m, 0, 0) for m in range(5)] + [("ana", m, 5, 0) for m in range(20, 31)] + [("ana", 31, 500, 0)]
    stays = detect_stays(pings_frame(rows), gap_min=15)
    assert _as_tuples(stays[["start", "end", "n_pings"]]) == [
        (T0 + pd.Timedelta(minutes=20), T0 + pd.Timedelta(minutes=31), 11)
    ]
    # A silence of exactly the gap threshold is not a gap (trackintel compares with >).
    bridged = detect_stays(pings_frame(rows), gap_min=16)
    assert _as_tuples(bridged[["start", "end", "n_pings"]]) == [(T0, T0 + pd.Timedelta(minutes=31), 16)]


def test_include_last_closes_the_open_stay() -> None:
    rows = [("ana", m, 0, 0) for m in range(10)]
    assert len(detect_stays(pings_frame(rows))) == 0
    stays = detect_stays(pings_frame(rows), include_last=True)
    assert _as_tuples(stays[["start", "end", "n_pings"]]) == [(T0, T0 + pd.Timedelta(minutes=9), 10)]


def test_people_are_separate_even_when_interleaved() -> None:
    ana = [("ana", m, 0, 0) for m in range(8)] + [("ana", 8, 300, 0)]
    bob = [("bob", m + 0.5, 1000, 0) for m in range(8)] + [("bob", 8.5, 1300, 0)]
    interleaved = [row for pair in zip(ana, bob, strict=True) for row in pair]
    stays = detect_stays(pings_frame(interleaved))
    assert list(stays["person"]) == ["ana", "bob"]
    assert list(stays["n_pings"]) == [8, 8]
    # bob's pings never close ana's stay, even though bob is 1 km away.
    assert stays.iloc[0]["end"] == T0 + pd.Timedelta(minutes=8)


def test_input_order_does_not_matter() -> None:
    frame = pings_frame(HOME_THEN_WALK + [("bob", m, 50, 50) for m in range(7)] + [("bob", 7, 900, 0)])
    shuffled = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    pd.testing.assert_frame_equal(detect_stays(frame), detect_stays(shuffled))


def test_exact_duplicates_count_once_and_equal_times_keep_input_order() -> None:
    rows = [("ana", 0, 0, 0), ("ana", 0, 0, 0), ("ana", 3, 0, 0), ("ana", 6, 0, 0), ("ana", 6, 200, 0)]
    stays = detect_stays(pings_frame(rows))
    # The duplicate is dropped; the two 6-minute pings keep their order, so the second one leaves.
    assert _as_tuples(stays[["start", "end", "n_pings"]]) == [(T0, T0 + pd.Timedelta(minutes=6), 3)]
    swapped = [rows[0], rows[1], rows[2], rows[4], rows[3]]
    # Now the far ping comes first at 6 min and closes the stay. With time_min=0 it is a zero-length stay of
    # its own (the near ping is 200 m from it), and include_last keeps the near ping's open stay.
    stays = detect_stays(pings_frame(swapped), include_last=True, time_min=0)
    assert list(stays["n_pings"]) == [2, 1, 1]
    assert list(stays["start"] - T0) == [pd.Timedelta(0), pd.Timedelta(minutes=6), pd.Timedelta(minutes=6)]


def test_pings_differing_only_in_accuracy_are_not_duplicates() -> None:
    frame = pings_frame([("ana", 0, 0, 0), ("ana", 6, 0, 0), ("ana", 7, 500, 0)])
    twin = frame.iloc[[0]].assign(accuracy_m=50.0)
    stays = detect_stays(pd.concat([frame, twin], ignore_index=True))
    assert list(stays["n_pings"]) == [3]


def test_empty_and_single_ping() -> None:
    empty = detect_stays(pings_frame([]))
    assert len(empty) == 0
    assert list(empty.columns) == ["person", "start", "end", "lat", "lon", "n_pings"]
    assert len(detect_stays(pings_frame([("ana", 0, 0, 0)]))) == 0
    single = detect_stays(pings_frame([("ana", 0, 0, 0)]), time_min=0, include_last=True)
    assert _as_tuples(single[["start", "end", "n_pings"]]) == [(T0, T0, 1)]


def test_longitude_is_a_circular_mean_across_the_antimeridian() -> None:
    frame = pings_frame([("ana", 0, 0, 0), ("ana", 3, 0, 0), ("ana", 6, 0, 0)])
    frame["lon"] = [179.9999995, -179.9999995, 179.0]
    stays = detect_stays(frame, dist_m=1000)
    assert len(stays) == 1
    assert abs(stays.iloc[0]["lon"]) == pytest.approx(180.0, abs=1e-9)


def test_pandas_arrow_and_files_agree(tmp_path: Path) -> None:
    frame = pings_frame(HOME_THEN_WALK + [("bob", m, 50, 50) for m in range(7)] + [("bob", 7, 900, 0)])
    from_pandas = detect_stays(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    from_arrow = detect_stays(table)
    assert isinstance(from_arrow, pa.Table)
    pq.write_table(table, tmp_path / "gps.parquet")
    frame.assign(time=frame["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")).to_csv(tmp_path / "gps.csv", index=False)
    from_parquet = detect_stays(tmp_path / "gps.parquet")
    from_csv = detect_stays(str(tmp_path / "gps.csv"))
    assert from_arrow.equals(from_parquet)
    assert from_arrow.equals(from_csv)
    pd.testing.assert_frame_equal(from_arrow.to_pandas(), from_pandas)
    assert from_arrow.schema.field("start").type == pa.timestamp("us", tz="UTC")


def test_a_directory_of_gps_files(tmp_path: Path) -> None:
    frame = pings_frame(HOME_THEN_WALK)
    (tmp_path / "gps" / "day=1").mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(frame.iloc[:6], preserve_index=False), tmp_path / "gps/day=1/a.parquet")
    pq.write_table(pa.Table.from_pandas(frame.iloc[6:], preserve_index=False), tmp_path / "gps/day=1/b.parquet")
    assert detect_stays(tmp_path / "gps").equals(detect_stays(pa.Table.from_pandas(frame, preserve_index=False)))


def test_other_time_zones_are_read_as_instants() -> None:
    frame = pings_frame(HOME_THEN_WALK)
    tashkent = frame.assign(time=frame["time"].dt.tz_convert("Asia/Tashkent"))
    pd.testing.assert_frame_equal(detect_stays(tashkent), detect_stays(frame))


@pytest.mark.parametrize("column", ["person", "time", "lat", "lon", "accuracy_m"])
def test_a_missing_column_is_named(column: str) -> None:
    frame = pings_frame(HOME_THEN_WALK).drop(columns=[column])
    with pytest.raises(InvalidInput, match=f"missing column '{column}'"):
        detect_stays(frame)
    with pytest.raises(InvalidInput, match=f"missing column '{column}'"):
        detect_stays(pa.Table.from_pandas(frame, preserve_index=False))


def test_missing_column_in_a_file_is_named(tmp_path: Path) -> None:
    frame = pings_frame(HOME_THEN_WALK).drop(columns=["accuracy_m"])
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "gps.parquet")
    with pytest.raises(InvalidInput, match=r"gps\.parquet: missing column 'accuracy_m'"):
        detect_stays(tmp_path / "gps.parquet")
    frame.to_csv(tmp_path / "gps.csv", index=False)
    with pytest.raises(InvalidInput, match=r"gps\.csv: missing column 'accuracy_m'"):
        detect_stays(tmp_path / "gps.csv")


def test_bad_values_name_row_and_field() -> None:
    frame = pings_frame(HOME_THEN_WALK)
    with pytest.raises(InvalidInput, match=r"row 3, field 'lat'"):
        detect_stays(frame.assign(lat=frame["lat"].where(frame.index != 3, 91.0)))
    with pytest.raises(InvalidInput, match=r"row 2, field 'lon'"):
        detect_stays(frame.assign(lon=frame["lon"].where(frame.index != 2, np.nan)))
    with pytest.raises(InvalidInput, match=r"row 4, field 'person'"):
        detect_stays(frame.assign(person=frame["person"].where(frame.index != 4, None)))
    with pytest.raises(InvalidInput, match="no time zone"):
        detect_stays(frame.assign(time=frame["time"].dt.tz_localize(None)))
    with pytest.raises(InvalidInput, match="field 'time' must be a timestamp"):
        detect_stays(frame.assign(time=frame["time"].astype(str)))
    naive_csv = pa.table({"time": pa.array([0], pa.timestamp("us"))})
    with pytest.raises(InvalidInput, match="missing column 'person'"):
        detect_stays(naive_csv)


def test_csv_times_without_zone_are_refused(tmp_path: Path) -> None:
    frame = pings_frame(HOME_THEN_WALK)
    frame.assign(time=frame["time"].dt.strftime("%Y-%m-%d %H:%M:%S")).to_csv(tmp_path / "gps.csv", index=False)
    with pytest.raises(InvalidInput, match=r"gps\.csv"):
        detect_stays(tmp_path / "gps.csv")


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("dist_m", 0), ("dist_m", -5), ("dist_m", math.nan), ("time_min", -1), ("gap_min", math.inf)],
)
def test_bad_parameters_are_refused(keyword: str, value: float) -> None:
    with pytest.raises(InvalidInput, match=keyword):
        detect_stays(pings_frame(HOME_THEN_WALK), **{keyword: value})


def test_unusable_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="pandas DataFrame, a pyarrow Table or a path"):
        detect_stays([1, 2, 3])  # type: ignore[call-overload]
    with pytest.raises(InvalidInput, match="no such file"):
        detect_stays(tmp_path / "absent.csv")
    (tmp_path / "pings.txt").write_text("x")
    with pytest.raises(InvalidInput, match="unknown file format"):
        detect_stays(tmp_path / "pings.txt")


def test_person_columns_of_every_arrow_string_kind() -> None:
    rows = HOME_THEN_WALK + [("bob", m, 50, 50) for m in range(7)] + [("bob", 7, 900, 0)]
    frame = pings_frame([rows[-1], *rows, rows[0]])  # one extra row at each end, sliced off below
    table = pa.Table.from_pandas(frame, preserve_index=False).slice(1, len(rows))
    expected = detect_stays(pings_frame(rows))
    for kind in (pa.string(), pa.large_string(), pa.dictionary(pa.int32(), pa.string())):
        person = table.column("person").cast(kind)
        stays = detect_stays(table.set_column(0, "person", person))
        pd.testing.assert_frame_equal(stays.to_pandas(), expected)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_every_time_unit_gives_the_same_stays(unit: str) -> None:
    """Thresholds that are not whole seconds (exact binary fractions of a minute) against 1 s ticks."""
    frame = pings_frame([("ana", 0, 0, 0), ("ana", 0, 0, 0), ("ana", 0, 0, 0), ("ana", 0, 0, 0), ("ana", 0, 500, 0)])
    frame["time"] = [T0 + pd.Timedelta(seconds=s) for s in range(5)]  # the far ping at 4 s
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(1, "time", table.column("time").cast(pa.timestamp(unit, tz="UTC")))
    cases = [
        (0.0625, 0.03125, 1),  # stay of 3.75 s needed, 4 s had; gaps of 1 s within 1.875 s
        (0.0703125, 0.03125, 0),  # 4.21875 s needed
        (0.0625, 0.015625, 0),  # every 1 s silence is longer than 0.9375 s: no window survives
    ]
    for time_min, gap_min, expected in cases:
        stays = detect_stays(table, time_min=time_min, gap_min=gap_min, dist_m=100)
        assert stays.num_rows == expected, (time_min, gap_min)
        assert stays.schema.field("start").type == pa.timestamp(unit, tz="UTC")


def test_unsorted_pings_spanning_centuries_in_nanoseconds() -> None:
    """Too wide a time span for the packed sort key: the two-key sort takes over with the same result."""
    frame = pings_frame(HOME_THEN_WALK + [("bob", m, 50, 50) for m in range(7)] + [("bob", 7, 900, 0)])
    frame["time"] = frame["time"].astype("datetime64[ns, UTC]")
    early = frame.assign(time=frame["time"] - pd.Timedelta(days=365 * 280), person=frame["person"] + "-1746")
    late = frame.assign(time=frame["time"] + pd.Timedelta(days=365 * 230), person=frame["person"] + "-2256")
    both = pd.concat([early, late], ignore_index=True)
    shuffled = both.sample(frac=1.0, random_state=3).reset_index(drop=True)
    stays = detect_stays(shuffled)
    assert list(stays["person"]) == ["ana-1746", "ana-2256", "bob-1746", "bob-2256"]
    pd.testing.assert_frame_equal(stays, detect_stays(both))
