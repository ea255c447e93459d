"""Chunk-wise column operations give what the joined column would, without joining it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st

from izquvar.ingest.columns import dictionary_codes, positions_in
from izquvar.ingest.phone import canonical_msisdn

chunks = st.lists(st.lists(st.sampled_from(["a", "b", "c", "dd", "é"]), max_size=6), max_size=5)


@given(chunks)
def test_codes_are_the_joined_columns_dictionary_codes(parts: list[list[str]]) -> None:
    column = pa.chunked_array(parts, type=pa.string())
    codes, dictionary = dictionary_codes(column)
    joined = pc.dictionary_encode(column.combine_chunks())
    assert codes.tolist() == joined.indices.to_pylist()
    assert dictionary.to_pylist() == joined.dictionary.to_pylist()
    assert np.array_equal(np.asarray(dictionary.to_pylist(), dtype=object)[codes], np.asarray(column.to_pylist()))


@given(chunks, st.lists(st.sampled_from(["a", "dd", "x"]), unique=True))
def test_positions_are_index_in_of_the_joined_column(parts: list[list[str]], wanted: list[str]) -> None:
    column = pa.chunked_array(parts, type=pa.string())
    value_set = pa.array(wanted, type=pa.string())
    assert positions_in(column, value_set).to_pylist() == pc.index_in(column.combine_chunks(), value_set).to_pylist()


def test_phones_are_canonicalised_chunk_by_chunk() -> None:
    column = pa.chunked_array([["+998 90 123 45 67", None], [], ["bad", "901234567"]], type=pa.string())
    canonical, bad = canonical_msisdn(column)
    assert isinstance(canonical, pa.ChunkedArray) and canonical.num_chunks == 3
    assert canonical.to_pylist() == ["998901234567", None, None, "998901234567"]
    assert bad.tolist() == [False, False, True, False]
