"""Reading GeoLife ``.plt`` trajectories into the GPS feed format."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from izquvar.errors import InvalidInput, NotFound
from izquvar.formats import GPS
from izquvar.mobility import read_geolife
from izquvar.mobility.geolife import GEOLIFE_ACCURACY_M, read_geolife_path, read_plt

PLT = """Geolife trajectory
WGS 84
Altitude is in Feet
Reserved 3
0,2,255,My Track,0,0,2,8421376
0
39.984702,116.318417,0,492,39744.1201851852,2008-10-23,02:53:04
39.984683,116.31845,0,492,39744.1202546296,2008-10-23,02:53:10
39.984686,116.318417,0,-777,39744.1203125,2008-10-23,02:53:15
"""


def _write_user(root: Path, user: str, name: str = "20081023025304.plt", text: str = PLT) -> Path:
    folder = root / user / "Trajectory"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_plt_becomes_gps_pings(tmp_path: Path) -> None:
    path = _write_user(tmp_path, "042")
    table = read_plt(path)
    assert table.schema == GPS.arrow_schema()
    assert table.column("person").to_pylist() == ["042"] * 3
    assert table.column("lat").to_pylist() == [39.984702, 39.984683, 39.984686]
    assert table.column("lon").to_pylist()[1] == 116.31845
    times = table.column("time").to_pylist()
    assert [t.isoformat() for t in times] == [
        "2008-10-23T02:53:04+00:00",
        "2008-10-23T02:53:10+00:00",
        "2008-10-23T02:53:15+00:00",
    ]
    assert table.column("accuracy_m").to_pylist() == [GEOLIFE_ACCURACY_M] * 3


def test_root_users_and_single_user_folders(tmp_path: Path) -> None:
    _write_user(tmp_path, "000")
    _write_user(tmp_path, "001")
    _write_user(tmp_path, "001", "20081024000000.plt")
    everyone = read_geolife(tmp_path)
    assert everyone.num_rows == 9
    assert sorted(set(everyone.column("person").to_pylist())) == ["000", "001"]
    assert read_geolife(tmp_path, ["001"]).num_rows == 6
    assert read_geolife_path(tmp_path / "001").equals(read_geolife(tmp_path, ["001"]))
    assert read_geolife_path(tmp_path / "001" / "Trajectory").equals(read_geolife(tmp_path, ["001"]))
    with pytest.raises(NotFound, match="007"):
        read_geolife(tmp_path, ["007"])


def test_malformed_plt_names_the_file(tmp_path: Path) -> None:
    path = _write_user(tmp_path, "000", text=PLT.replace("2008-10-23,02:53:10", "yesterday,noon"))
    with pytest.raises(InvalidInput, match=r"20081023025304\.plt"):
        read_plt(path)


@pytest.mark.shared
def test_shared_geolife_has_all_its_points(geolife_dir: Path) -> None:
    table = read_geolife(geolife_dir)
    assert table.num_rows == 164_531
    assert len(set(table.column("person").to_pylist())) == 11
    assert table.schema == GPS.arrow_schema()
    assert isinstance(table, pa.Table)


@pytest.mark.shared
def test_same_points_as_trackintels_reader(geolife_dir: Path) -> None:
    pytest.importorskip("trackintel")
    import warnings

    from trackintel.io import read_geolife as trackintel_read_geolife

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, _ = trackintel_read_geolife(str(geolife_dir))
    ours = read_geolife(geolife_dir).to_pandas()
    key = ["person", "time", "lon", "lat"]
    theirs = theirs.assign(
        person=theirs["user_id"].map("{:03d}".format),
        time=theirs["tracked_at"],
        lon=theirs.geometry.x,
        lat=theirs.geometry.y,
    )[key]
    assert ours[key].sort_values(key).reset_index(drop=True).equals(theirs.sort_values(key).reset_index(drop=True))
