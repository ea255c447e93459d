"""The demo's last step: the investigation service on the simulated outbreak, its first case traced through the API.

What an epidemiologist would see on the first morning: the registry loaded from the simulator's
``registry/persons.csv``, an account to sign in with, and the first case's positive lab result posted to
``POST /api/v1/lab-results`` over real HTTP, which confirms the case and queues a tracing job; the service's own
worker traces it on the demo's store, and the proposed contacts are read back from the API. The service is the
one ``izquvar serve`` runs (``service.bootstrap``), on an SQLite file in the demo's directory.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import socket
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds
from rich.console import Console
from rich.table import Table

from izquvar.errors import IzquvarError, NotFound
from izquvar.outbreak.cases import ConfirmedCase

#: The demo's epidemiologist account (its password is drawn anew for every demo and printed).
DEMO_EPIDEMIOLOGIST = "epi"
#: How long the demo waits for the tracing job before it gives up.
TRACING_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class DemoService:
    """The running demo service: where it listens and how to sign in."""

    url: str
    username: str
    password: str
    administrator: tuple[str, str] | None
    case_id: int
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()


def start_demo_service(
    out_dir: Path, sim_dir: Path, store_dir: Path, case: ConfirmedCase, *, port: int, console: Console
) -> DemoService:
    """Start the service on ``out_dir/izquvar.db`` and ``store_dir``, load the registry, and trace ``case``
    through the API: its positive result posted, the job awaited, its proposed contacts shown."""
    import uvicorn

    from izquvar import open_store
    from izquvar.config import Settings
    from izquvar.db import make_session_factory, session_scope
    from izquvar.persons.importer import import_persons
    from izquvar.service import create_app
    from izquvar.service.app import API_PREFIX
    from izquvar.service.bootstrap import prepare_database
    from izquvar.users import service as users_service
    from izquvar.users.models import Role, UserCreate

    settings = Settings(database_url=f"sqlite:///{(out_dir / 'izquvar.db').resolve()}")
    prepared = prepare_database(settings)
    password = secrets.token_urlsafe(12)
    with session_scope(make_session_factory(prepared.engine)) as session:
        report = import_persons(sim_dir / "registry" / "persons.csv", db_session=session)
        users_service.create(
            UserCreate(username=DEMO_EPIDEMIOLOGIST, display_name="Demo epidemiologist",
                       role=Role.EPIDEMIOLOGIST, password=password),
            db_session=session,
        )  # fmt: skip
    if not report.stored:
        raise IzquvarError(f"the simulated registry did not load: {report.errors[:3]}")
    console.print(f"Registry loaded from the simulation: {report.created:,} persons.")

    lab = _positive_result_of(sim_dir / "lab", case, open_store(store_dir, create=False).pseudonym)
    listening = _free_port(port)
    if listening != port:
        console.print(f"Port {port} is taken: the service listens on {listening} instead.")
    app = create_app(settings, engine=prepared.engine, store=store_dir)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=listening, log_level="warning"))
    thread = threading.Thread(target=server.run, name="izquvar-demo-service", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listening}{API_PREFIX}"
    _wait_until_up(server, thread)

    client = _Client(url)
    client.sign_in(DEMO_EPIDEMIOLOGIST, password)
    started = time.perf_counter()
    posted = client.post_json("/lab-results", lab)
    case_id = int(posted["case_id"])
    tracing = client.wait_for_tracing(case_id)
    seconds = time.perf_counter() - started
    if tracing["status"] != "done":
        raise IzquvarError(f"the service could not trace case {case_id}: {tracing.get('error') or tracing}")
    proposed = client.get_json(f"/cases/{case_id}/proposed-contacts", limit=5)
    console.print(
        f"POST {API_PREFIX}/lab-results (positive {lab['test']}, specimen {lab['specimen_date']}) → case {case_id}, "
        f"traced by the service in {seconds:.1f} s: {proposed['total']:,} proposed contacts for the "
        "epidemiologist to accept or reject"
    )
    table = Table("contact", "class", "risk", "minutes", "why", title=f"Case {case_id}: the first proposed contacts")
    for contact in proposed["items"]:
        person = contact.get("person") or {}
        who = " ".join(filter(None, (person.get("family_name"), person.get("given_name")))) or (
            f"unidentified subscriber {contact['pseudonym'][:10]}"
        )
        table.add_row(who, contact["class"], f"{contact['risk']:.2f}", f"{contact['minutes']:.0f}",
                      contact["explanation"])  # fmt: skip
    console.print(table)
    return DemoService(url=url, username=DEMO_EPIDEMIOLOGIST, password=password,
                       administrator=prepared.first_administrator, case_id=case_id, server=server,
                       thread=thread)  # fmt: skip


def _positive_result_of(lab_dir: Path, case: ConfirmedCase, pseudonym: Any) -> dict[str, Any]:
    """The simulator's first positive result of ``case`` as the lab would post it (the store holds only the
    person's pseudonym, so the raw identifiers of the positive rows are hashed until one matches)."""
    rows = ds.dataset(lab_dir, format="parquet", partitioning="hive").to_table(
        filter=pc.field("result") == "positive", columns=["person", "specimen_date", "result_date", "test"]
    )
    for row in sorted(rows.to_pylist(), key=lambda r: (r["specimen_date"], r["result_date"] or dt.date.max)):
        if pseudonym(str(row["person"])) == case.person:
            return {
                "national_id": str(row["person"]),
                "disease": "COVID-19",
                "test": row["test"],
                "result": "positive",
                "specimen_date": row["specimen_date"].isoformat(),
                "result_date": row["result_date"].isoformat() if row["result_date"] else None,
            }
    raise NotFound(f"no positive result of the traced case in {lab_dir}")


def _free_port(wanted: int) -> int:
    """``wanted`` when it can be listened on, else a port the system chooses."""
    for port in (wanted, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise IzquvarError("no free TCP port for the demo service")


def _wait_until_up(server: Any, thread: threading.Thread, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise IzquvarError("the demo service did not start")
        time.sleep(0.05)


class _Client:
    """The few calls the demo makes, over real HTTP with the standard library (no client library needed)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    def sign_in(self, username: str, password: str) -> None:
        form = urllib.parse.urlencode({"username": username, "password": password}).encode()
        answer = self._send("POST", "/auth/token", form, "application/x-www-form-urlencoded")
        self.token = answer["access_token"]

    def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", path, json.dumps(body).encode(), "application/json")

    def get_json(self, path: str, **query: Any) -> dict[str, Any]:
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return self._send("GET", path + suffix, None, None)

    def wait_for_tracing(self, case_id: int) -> dict[str, Any]:
        deadline = time.monotonic() + TRACING_TIMEOUT_S
        while True:
            tracing: dict[str, Any] = self.get_json(f"/cases/{case_id}")["tracing"]
            if tracing["status"] in ("done", "failed") or time.monotonic() > deadline:
                return tracing
            time.sleep(0.2)

    def _send(self, method: str, path: str, body: bytes | None, content_type: str | None) -> dict[str, Any]:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as exc:
            raise IzquvarError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from exc
