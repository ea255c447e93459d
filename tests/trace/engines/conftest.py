"""The random stays' index, built once for every engine compared on it."""

from __future__ import annotations

import pytest
from engine_stays import random_stays

from izquvar.trace.index import StayIndex


@pytest.fixture(scope="session")
def random_index() -> StayIndex:
    return StayIndex.build(random_stays())
