"""Settings refuse to be unsafe: the development pseudonym key never works in production."""

from __future__ import annotations

import pytest

from izquvar.config import DEVELOPMENT_PSEUDONYM_KEY, Settings
from izquvar.errors import Forbidden


def test_development_key_is_allowed_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IZQUVAR_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("IZQUVAR_ENV", "development")
    assert Settings().pseudonym_key_bytes() == DEVELOPMENT_PSEUDONYM_KEY.encode()


@pytest.mark.parametrize("key", [None, DEVELOPMENT_PSEUDONYM_KEY, "short-secret"])
def test_production_refuses_missing_default_or_short_key(monkeypatch: pytest.MonkeyPatch, key: str | None) -> None:
    monkeypatch.setenv("IZQUVAR_ENV", "production")
    if key is None:
        monkeypatch.delenv("IZQUVAR_PSEUDONYM_KEY", raising=False)
    else:
        monkeypatch.setenv("IZQUVAR_PSEUDONYM_KEY", key)
    with pytest.raises(Forbidden, match="IZQUVAR_PSEUDONYM_KEY"):
        Settings().pseudonym_key_bytes()


def test_production_accepts_a_real_key_and_fingerprint_depends_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZQUVAR_ENV", "production")
    monkeypatch.setenv("IZQUVAR_PSEUDONYM_KEY", "k" * 40)
    first = Settings().pseudonym_key_fingerprint()
    monkeypatch.setenv("IZQUVAR_PSEUDONYM_KEY", "j" * 40)
    second = Settings().pseudonym_key_fingerprint()
    assert first != second
    assert len(first) == 16
    assert "k" * 40 not in first


def test_retention_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZQUVAR_RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="retention_days"):
        Settings()
