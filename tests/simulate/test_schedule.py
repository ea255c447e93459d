"""Daily life looks like daily life: pupils at school and workers at work on weekdays, rest on Sundays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from simkit import SMALL, read_kind

from izquvar.simulate import SimConfig, SimSummary, simulate

LOCAL = pd.Timedelta(hours=SMALL.utc_offset_hours)


def _attendance(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    stays = read_kind(out, "truth/stays").to_pandas()
    stays["day"] = (stays.start + LOCAL).dt.date
    rosters = read_kind(out, "rosters").to_pandas()
    return stays, rosters


def test_weekday_school_and_work(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    stays, rosters = _attendance(out)
    monday = SMALL.start
    today = stays[stays.day == monday]
    for kind in ("school_class", "department"):
        members = rosters[rosters.group_kind == kind]
        present = today.merge(members, left_on=["person", "venue"], right_on=["person", "venue_id"])
        share = present.person.nunique() / members.person.nunique()
        assert share > 0.9, (kind, share)
        # in their own room
        assert (present.zone_x == present.zone_y).all()
    pupils = today.merge(rosters[rosters.group_kind == "school_class"], on="person")
    at_school = pupils[pupils.venue == pupils.venue_id]
    hours = (at_school.start + LOCAL).dt.hour
    assert hours.between(7, 14).all()
    rides = today[today.kind == "ride"]
    assert len(rides) > 0
    assert ((rides.end - rides.start).dt.total_seconds().between(5 * 60, 90 * 60)).all()


def test_sunday_has_no_school(tmp_path: Path) -> None:
    sunday = dt.date(2026, 3, 8)
    config = SimConfig(people=500, days=1, seed=2, start=sunday, sources=("people", "rosters", "venues"))
    simulate(config, tmp_path / "sun")
    stays, _ = _attendance(tmp_path / "sun")
    venues = read_kind(tmp_path / "sun", "venues").to_pandas()
    schools = set(venues.venue_id[venues.category == "school"])
    assert not stays.venue.isin(schools).any()
    assert (stays.kind == "visit").any() or (stays.kind == "venue").any()
