"""Ground truth is consistent with itself and with the feeds: contacts met, infectors were infectious."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from simkit import SMALL, read_kind

from izquvar.simulate import SimSummary

LOCAL = pd.Timedelta(hours=SMALL.utc_offset_hours)


def _stays(out: Path) -> pd.DataFrame:
    return read_kind(out, "truth/stays").to_pandas()


def test_stays_cover_each_day_without_overlap(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    stays = _stays(out).sort_values(["person", "start"])
    assert (stays.end > stays.start).all()
    same = stays.person.eq(stays.person.shift())
    assert (stays.start[same] >= stays.end.shift()[same]).all(), "a person's stays overlap"
    assert set(stays.kind) == {"home", "venue", "visit", "ride"}
    people = read_kind(out, "people").to_pandas()
    assert set(stays.person) == set(people.person)
    # home stays are at the person's own household; visits at another one
    household = people.set_index("person").household
    homes = stays[stays.kind == "home"]
    assert (homes.venue.to_numpy() == household[homes.person].to_numpy()).all()
    visits = stays[stays.kind == "visit"]
    assert (visits.venue.to_numpy() != household[visits.person].to_numpy()).all()
    venues = set(read_kind(out, "venues").column("venue_id").to_pylist())
    assert set(stays.venue[stays.kind.isin(["venue", "ride"])]) <= venues
    per_person_day = stays.groupby(["person", (stays.start + LOCAL).dt.date]).size()
    assert 2.0 <= per_person_day.mean() <= 12.0


def test_close_contacts_met_long_enough(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    contacts = read_kind(out, "truth/close_contacts").to_pandas()
    assert len(contacts) > 0
    assert (contacts.minutes >= 15).all() and (contacts.minutes % 5 == 0).all()
    assert (contacts.person_a < contacts.person_b).all()
    assert not contacts.duplicated(["person_a", "person_b", "day"]).any()
    stays = _stays(out)
    stays["day"] = (stays.start + LOCAL).dt.date
    sample = contacts.sample(min(300, len(contacts)), random_state=0)
    a = sample.merge(stays, left_on=["person_a", "day"], right_on=["person", "day"])
    both = a.merge(stays, left_on=["person_b", "day", "venue", "zone"], right_on=["person", "day", "venue", "zone"])
    overlap = (np.minimum(both.end_x, both.end_y) - np.maximum(both.start_x, both.start_y)).dt.total_seconds() / 60
    both["overlap"] = overlap.clip(lower=0)
    together = both.groupby(["person_a", "person_b", "day"]).overlap.sum()
    met = together.reindex(pd.MultiIndex.from_frame(sample[["person_a", "person_b", "day"]])).fillna(0)
    # slots count when a stay covers a slot's midpoint, so the real overlap is within 5 min per stay edge
    assert (met.to_numpy() >= sample.minutes.to_numpy() - 10).all()


def test_infections_have_infectious_infectors_who_met(small_run: tuple[Path, SimSummary]) -> None:
    out, summary = small_run
    infections = pq.read_table(out / "truth" / "infections.parquet").to_pandas()
    cases = pq.read_table(out / "truth" / "cases.parquet").to_pandas().set_index("person")
    assert summary.infections == len(infections) > SMALL.index_cases
    assert infections.infectee.is_unique
    assert set(infections.infectee) == set(cases.index)
    index = infections[infections.infector.isna()]
    assert len(index) == SMALL.index_cases
    secondary = infections.dropna(subset=["infector"])
    infector_time = cases.infection_time[secondary.infector].to_numpy()
    assert (infector_time < secondary.time.to_numpy()).all()
    # infectious: within the profile's support around onset (He et al.: up to ~12 days before)
    onset = cases.onset.fillna(cases.infection_time + pd.Timedelta(days=5))[secondary.infector].to_numpy()
    assert ((secondary.time.to_numpy() - onset) > -pd.Timedelta(days=12.27)).all()
    stays = _stays(out)
    for row in secondary.itertuples():
        at = row.time
        here = stays[(stays.venue == row.venue) & (stays.start <= at) & (stays.end >= at)]
        assert {row.infector, row.infectee} <= set(here.person), row


def test_cases_and_isolation(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    cases = pq.read_table(out / "truth" / "cases.parquet").to_pandas()
    assert cases.asymptomatic.mean() == np.clip(cases.asymptomatic.mean(), 0.1, 0.6)
    assert cases.onset[cases.asymptomatic].isna().all()
    assert (cases.onset.dropna() > cases.infection_time[cases.onset.notna()]).all()
    lab = read_kind(out, "lab").to_pandas()
    positives = lab[lab.result == "positive"]
    confirmed = cases.dropna(subset=["specimen_date"])
    assert set(confirmed.person) <= set(positives.person)
    assert (lab.result_date >= lab.specimen_date).all()
    # isolated people stay home (a clinic visit to give a specimen is the only outing)
    stays = _stays(out)
    stays["day"] = (stays.start + LOCAL).dt.date
    isolated = cases.dropna(subset=["isolation"])
    out_of_home = stays[stays.kind != "home"].merge(isolated, on="person")
    on_day = out_of_home[out_of_home.day == out_of_home.isolation]
    clinics = set(read_kind(out, "venues").to_pandas().query("category == 'clinic'").venue_id)
    assert set(on_day.venue) <= clinics
