"""Microsoft Research GeoLife trajectories (``.plt`` files) as pings in the GPS feed format.

GeoLife is the public GPS data set stay-point methods were defined on (Li et al. 2008 used it), so reading it
lets izquvar be checked against published tools on real, messy trajectories. Layout: ``<root>/<user>/
Trajectory/*.plt``; each ``.plt`` has 6 header lines, then ``lat,lon,0,altitude_ft,days_since_1899,date,time``
with date and time in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from izquvar.errors import InvalidInput, NotFound
from izquvar.formats import GPS

#: GeoLife records no accuracy; 10 m is a typical 1σ of the consumer GPS loggers it was collected with.
GEOLIFE_ACCURACY_M = 10.0

_HEADER_LINES = 6
_PLT_COLUMNS = ("lat", "lon", "zero", "altitude_ft", "days", "date", "clock")
_READ_OPTIONS = pacsv.ReadOptions(skip_rows=_HEADER_LINES, column_names=list(_PLT_COLUMNS))
_CONVERT_OPTIONS = pacsv.ConvertOptions(
    column_types={"lat": pa.float64(), "lon": pa.float64(), "date": pa.string(), "clock": pa.string()},
    include_columns=["lat", "lon", "date", "clock"],
)


def _user_of(path: Path) -> str:
    """``<user>/Trajectory/x.plt`` belongs to ``<user>``; a lone file to its own stem."""
    if path.parent.name == "Trajectory" and path.parent.parent.name:
        return path.parent.parent.name
    return path.stem


def read_plt(path: Path, person: str | None = None) -> pa.Table:
    """One ``.plt`` trajectory as GPS pings; ``person`` defaults to the user folder the file sits in."""
    try:
        raw = pacsv.read_csv(path, read_options=_READ_OPTIONS, convert_options=_CONVERT_OPTIONS)
        date = raw.column("date").combine_chunks()
        clock = raw.column("clock").combine_chunks()
        # The stubs want an array separator; pyarrow itself takes a scalar.
        stamp = pc.binary_join_element_wise(date, clock, " ")  # type: ignore[call-overload]
        naive = pc.strptime(stamp, format="%Y-%m-%d %H:%M:%S", unit="us")
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path}: not a readable GeoLife .plt file: {exc}") from exc
    n = raw.num_rows
    schema = GPS.arrow_schema()
    return pa.table(
        {
            "person": pa.repeat(person if person is not None else _user_of(path), n).cast(pa.string()),
            # GeoLife writes UTC wall-clock times: attaching the zone keeps the instants unchanged.
            "time": naive.cast(pa.timestamp("us", tz="UTC")),
            "lat": raw.column("lat").combine_chunks(),
            "lon": raw.column("lon").combine_chunks(),
            "accuracy_m": pa.repeat(pa.scalar(GEOLIFE_ACCURACY_M), n),
        },
        schema=schema,
    )


def _user_folder(path: Path) -> Path | None:
    """The GeoLife user folder ``path`` is or lies in (``<user>`` or ``<user>/Trajectory``), if any."""
    if path.name == "Trajectory" and any(path.glob("*.plt")):
        return path.parent
    if (path / "Trajectory").is_dir() and any((path / "Trajectory").glob("*.plt")):
        return path
    return None


def is_geolife(path: Path) -> bool:
    """A ``.plt`` file, a GeoLife root (``<user>/Trajectory/*.plt`` inside) or one user's folder."""
    if path.is_file():
        return path.suffix.lower() == ".plt"
    return path.is_dir() and (_user_folder(path) is not None or any(path.glob("*/Trajectory/*.plt")))


def read_geolife_path(path: Path) -> pa.Table:
    """Whatever GeoLife piece ``path`` is (see :func:`is_geolife`) as GPS pings."""
    if path.is_file():
        return read_plt(path)
    user = _user_folder(path)
    if user is not None:
        return read_geolife(user.parent, [user.name])
    return read_geolife(path)


def read_geolife(root: Path, users: Sequence[str] | None = None) -> pa.Table:
    """All (or the named) users of a GeoLife root as one GPS table, person = user folder name.

    Files are read in sorted order (users, then file names) so the table is reproducible; the rows are not
    otherwise sorted.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotFound(f"{root}: no such GeoLife directory.")
    available = sorted(p.name for p in root.iterdir() if (p / "Trajectory").is_dir())
    if users is None:
        chosen = available
    else:
        unknown = sorted(set(users) - set(available))
        if unknown:
            raise NotFound(f"{root}: no GeoLife user folder {', '.join(unknown)} (found {len(available)} users).")
        chosen = sorted(set(users))
    files = [(user, plt) for user in chosen for plt in sorted((root / user / "Trajectory").glob("*.plt"))]
    if not files:
        raise InvalidInput(f"{root}: no <user>/Trajectory/*.plt files; is this a GeoLife directory?")
    return pa.concat_tables([read_plt(plt, user) for user, plt in files])
