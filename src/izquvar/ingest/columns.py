"""Column operations that stay correct on batches of any size.

Why: Arrow's ``string`` arrays address their bytes with 32-bit offsets, so one array holds at most 2 GiB of
text. A day of pings for a city fits, a fortnight of 100,000 people's 32-character pseudonyms (79 million
pings) does not: ``combine_chunks`` on it fails with "offset overflow". Everything here works chunk by chunk
and returns numpy integers, which have no such limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def as_chunked(values: pa.Array[Any] | pa.ChunkedArray[Any]) -> pa.ChunkedArray[Any]:
    """``values`` as a chunked array (an array becomes its only chunk)."""
    return values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])


def dictionary_codes(values: pa.Array[Any] | pa.ChunkedArray[Any]) -> tuple[np.ndarray, pa.Array[Any]]:
    """Each value's code (``int64``, in order of first appearance) and the distinct values, without joining
    the chunks: Arrow encodes a chunked array against one dictionary shared by all its chunks."""
    encoded: Any = pc.dictionary_encode(as_chunked(values))
    chunks = [c for c in encoded.chunks if len(c)]
    if not chunks:
        return np.zeros(0, dtype=np.int64), pa.array([], type=as_chunked(values).type)
    codes = np.concatenate([np.asarray(c.indices.to_numpy(zero_copy_only=False), dtype=np.int64) for c in chunks])
    return codes, chunks[-1].dictionary


def positions_in(values: pa.Array[Any] | pa.ChunkedArray[Any], value_set: pa.Array[Any]) -> pa.Array[Any]:
    """Position of each value in ``value_set`` (null where absent), chunk by chunk, as one ``int32`` array."""
    found: Any = pc.index_in(as_chunked(values), value_set=value_set)
    parts = list(found.chunks) or [pa.array([], type=pa.int32())]
    return pa.concat_arrays(parts)


def keep_rows(table: pa.Table, mask: np.ndarray) -> pa.Table:
    """The rows where ``mask`` is true; no copy when it is true everywhere (the common case)."""
    if mask.all():
        return table
    return table.filter(pa.array(mask))
