"""Settings refuse to be unsafe: the development pseudonym and secret keys never work in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from izquvar.config import DEVELOPMENT_PSEUDONYM_KEY, DEVELOPMENT_SECRET_KEY, Settings
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


def test_the_data_home_defaults_to_the_users_data_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("IZQUVAR_HOME", raising=False)
    monkeypatch.delenv("IZQUVAR_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.home == Path(platformdirs.user_data_dir("izquvar", appauthor=False))
    paths = settings.data_paths()
    assert paths.database == settings.home / "izquvar.db"
    assert paths.store == settings.home / "store"
    assert settings.resolved_database_url() == f"sqlite:///{paths.database}"


def test_izquvar_home_and_database_url_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IZQUVAR_HOME", str(tmp_path))
    monkeypatch.delenv("IZQUVAR_DATABASE_URL", raising=False)
    assert Settings().data_paths().database == tmp_path / "izquvar.db"
    assert Settings().resolved_database_url() == f"sqlite:///{tmp_path / 'izquvar.db'}"
    monkeypatch.setenv("IZQUVAR_DATABASE_URL", "postgresql://izquvar@db/izquvar")
    assert Settings().resolved_database_url() == "postgresql://izquvar@db/izquvar"


@pytest.mark.parametrize("key", [None, DEVELOPMENT_SECRET_KEY, "short-secret"])
def test_production_refuses_a_missing_default_or_short_secret_key(
    monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    monkeypatch.setenv("IZQUVAR_ENV", "production")
    if key is None:
        monkeypatch.delenv("IZQUVAR_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("IZQUVAR_SECRET_KEY", key)
    with pytest.raises(Forbidden, match="IZQUVAR_SECRET_KEY"):
        Settings().secret_key_bytes()
    monkeypatch.setenv("IZQUVAR_SECRET_KEY", "s" * 40)
    assert Settings().secret_key_bytes() == b"s" * 40
    monkeypatch.setenv("IZQUVAR_ENV", "development")
    monkeypatch.delenv("IZQUVAR_SECRET_KEY")
    assert Settings().secret_key_bytes() == DEVELOPMENT_SECRET_KEY.encode()
