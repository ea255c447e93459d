"""Phone numbers (MSISDN) in one canonical form before they are hashed.

Why: a pseudonym is a keyed hash of the exact text, so ``+998 90 123-45-67`` from a registry and
``998901234567`` from an operator would become two people and every link through the phone would be lost.
Every phone column is therefore brought to the international digits of E.164 without the ``+`` (the MSISDN as
operators write it) first: separators (spaces, dashes, dots, brackets, slashes) and a leading ``+`` or ``00``
are dropped; a bare national number of Uzbekistan (9 digits: operator code and subscriber number) or one in the
old domestic form with trunk ``8`` (10 digits) gets the country code 998. What is left must be 8 to 15 digits
not starting with 0, or the value is not a phone number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import Kind
from izquvar.ingest.problems import ProblemSet, Reason

#: Uzbekistan's country calling code and the length of its national significant numbers.
COUNTRY_CODE = "998"
NATIONAL_DIGITS = 9
_SEPARATORS = r"[\s\-().\/]"
_VALID = r"^[1-9][0-9]{7,14}$"
EXPECTED = "a phone number: international digits such as 998901234567, +998 90 123-45-67 or 90 123 45 67"


def canonical_msisdn(
    values: pa.Array[Any] | pa.ChunkedArray[Any],
) -> tuple[pa.Array[Any] | pa.ChunkedArray[Any], np.ndarray]:
    """The canonical form of each value (nulls stay null) and a mask of the non-null values that are not phone
    numbers (their canonical value is null). A chunked column is canonicalised chunk by chunk (a whole
    operator feed may hold more text than one Arrow string array can)."""
    if isinstance(values, pa.ChunkedArray):
        parts = [_canonical(chunk) for chunk in values.chunks]
        bad = np.concatenate([b for _, b in parts]) if parts else np.zeros(0, dtype=bool)
        return pa.chunked_array([c for c, _ in parts], type=pa.string()), bad
    return _canonical(values)


def _canonical(values: pa.Array[Any]) -> tuple[pa.Array[Any], np.ndarray]:
    text: Any = pc.replace_substring_regex(pc.cast(values, pa.string()), _SEPARATORS, "")
    text = pc.replace_substring_regex(text, r"^(\+|00)", "")
    national = pc.match_substring_regex(text, rf"^[0-9]{{{NATIONAL_DIGITS}}}$")
    trunk = pc.match_substring_regex(text, rf"^8[0-9]{{{NATIONAL_DIGITS}}}$")
    text = pc.if_else(national, pc.binary_join_element_wise(COUNTRY_CODE, text, ""), text)
    text = pc.if_else(trunk, pc.binary_join_element_wise(COUNTRY_CODE, pc.utf8_slice_codeunits(text, 1), ""), text)
    valid = pc.match_substring_regex(text, _VALID)
    bad = np.asarray(
        pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(valid, False))).to_numpy(zero_copy_only=False), dtype=bool
    )
    canonical: pa.Array[Any] = pc.if_else(pc.fill_null(valid, False), text, pa.nulls(len(text), pa.string()))
    return canonical, np.asarray(bad, dtype=bool)


def canonical_one(value: str) -> str | None:
    """:func:`canonical_msisdn` of one value (``None`` when it is not a phone number)."""
    canonical, bad = _canonical(pa.array([value], pa.string()))
    return None if bad[0] else str(canonical[0].as_py())


def canonical_phone_columns(table: pa.Table, kind: Kind, problems: ProblemSet) -> pa.Table:
    """Phone columns in their canonical MSISDN form, so that one phone written two ways hashes to one pseudonym;
    a value that is not a phone number is a problem (its text is not kept in the rejects: it may be a real number
    mistyped)."""
    for column in kind.columns:
        if not column.phone_number:
            continue
        position = table.schema.get_field_index(column.name)
        canonical, bad = canonical_msisdn(table.column(position))
        problems.add(bad, column.name, Reason.NOT_A_PHONE_NUMBER, f"not {EXPECTED}", None)
        table = table.set_column(position, table.schema.field(position), canonical)
    return table
