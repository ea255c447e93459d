"""Keyed-hash pseudonyms for person identifiers, so the store never holds a raw phone number or ID.

HMAC-SHA-256 with a secret key: without the key nobody can confirm a guessed phone number against the
store (a plain hash of a 12-digit MSISDN is reversed by brute force in minutes). Identifiers are stripped of
surrounding whitespace first, so ``" 998901234567"`` and ``"998901234567"`` are the same person. Only the
distinct values of a column are hashed, then mapped back: millions of pings of thousands of people cost
thousands of hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import Kind

#: Hex characters kept of the 64-character HMAC: 128 bits, collision-free for any population.
PSEUDONYM_HEX_CHARS = 32

_BLOCK = 64


class Pseudonymizer:
    """Maps raw identifiers to pseudonyms with one key; the key itself is never exposed."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the pseudonym key is empty")
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(_BLOCK, b"\0")
        # The two HMAC pad states are computed once and copied per value: twice as fast as hmac.new().
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def one(self, raw_id: str) -> str:
        """The pseudonym of one identifier."""
        inner = self._inner.copy()
        inner.update(raw_id.strip().encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:PSEUDONYM_HEX_CHARS]

    def many(self, raw_ids: pa.Array[Any] | pa.ChunkedArray[Any] | np.ndarray | Sequence[str | None]) -> pa.Array[Any]:
        """Pseudonyms of a column of identifiers (nulls stay null), hashing each distinct value once."""
        values: Any = raw_ids if isinstance(raw_ids, pa.Array | pa.ChunkedArray) else pa.array(raw_ids)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
            values = values.cast(pa.string())
        encoded: Any = pc.dictionary_encode(values)
        dictionary = encoded.dictionary.to_pylist()
        hashed = pa.array([self.one(v) for v in dictionary], type=pa.string())
        return cast("pa.Array[Any]", hashed.take(encoded.indices))


def pseudonymise_columns(table: pa.Table, kind: Kind, pseudonymizer: Pseudonymizer) -> pa.Table:
    """``table`` with every person column of ``kind`` replaced by its pseudonyms."""
    for name in kind.person_columns:
        position = table.schema.get_field_index(name)
        table = table.set_column(position, table.schema.field(position), pseudonymizer.many(table.column(name)))
    return table
