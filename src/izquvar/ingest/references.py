"""Reference kinds (venues, towers, merchants, people, areas...) as they will be after the batch: what records
are checked against and placed through."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import Kind
from izquvar.ingest.batch import TableReader
from izquvar.ingest.duplicates import key_strings
from izquvar.ingest.problems import ProblemSet, Reason


class ReferenceTables:
    """A reference kind is this batch's final table once the batch has one (``final``), else the stored table,
    read once."""

    def __init__(self, read: TableReader, final: Mapping[str, pa.Table]) -> None:
        self._read = read
        self._final = final
        self._stored: dict[str, pa.Table] = {}

    def get(self, name: str) -> pa.Table:
        if name in self._final:
            return self._final[name]
        if name not in self._stored:
            self._stored[name] = self._read(name, None, None)
        return self._stored[name]

    def check(self, table: pa.Table, kind: Kind, problems: ProblemSet) -> None:
        """Flag values of referring columns (``card.merchant_id`` → ``merchants``) that name nothing."""
        for column in kind.columns:
            if not column.references:
                continue
            target, key = column.references.split(".")
            known = self.get(target).column(key).combine_chunks()
            values = table.column(column.name)
            unknown = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=known)))
            problems.add(
                unknown,
                column.name,
                Reason.UNKNOWN_REFERENCE,
                f"no such {key} in {target} (stored or in this ingest)",
                values,
            )

    def replaced(self, kind: Kind, table: pa.Table) -> pa.Table:
        """The stored table with the rows whose key ``table`` has replaced by ``table``'s: the newest registry wins."""
        stored = self.get(kind.name)
        replaced = pc.is_in(key_strings(stored, kind), value_set=key_strings(table, kind))
        return pa.concat_tables([stored.filter(pc.invert(replaced)), table.cast(stored.schema)])
