"""Settings from the environment (prefix ``IZQUVAR_``) that refuse to be unsafe outside development."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from izquvar.errors import Forbidden

#: The development key: fine for simulated data, refused when ``IZQUVAR_ENV=production``.
DEVELOPMENT_PSEUDONYM_KEY = "izquvar-development-key-not-for-real-data"
#: The development secret key (encrypts TOTP secrets at rest): refused when ``IZQUVAR_ENV=production``.
DEVELOPMENT_SECRET_KEY = "izquvar-development-secret-key-not-for-production"
#: The database file's name inside the data home when ``IZQUVAR_DATABASE_URL`` is not set.
DATABASE_FILE = "izquvar.db"
#: The location store's directory name inside the data home.
STORE_DIR = "store"


def _default_home() -> Path:
    """The per-user data directory (``~/.local/share/izquvar`` on Linux), as the platform's conventions place it."""
    return Path(platformdirs.user_data_dir("izquvar", appauthor=False))


@dataclass(frozen=True)
class DataPaths:
    """Where izquvar keeps its state under one data home: the database file and the location store."""

    home: Path
    database: Path
    store: Path


class Settings(BaseSettings):
    """Every tunable of izquvar in one typed place."""

    model_config = SettingsConfigDict(env_prefix="IZQUVAR_", env_file=None, extra="ignore")

    env: Literal["development", "production"] = "development"
    #: Secret for the keyed hash (HMAC-SHA-256) that pseudonymises person identifiers at ingest.
    pseudonym_key: SecretStr = SecretStr(DEVELOPMENT_PSEUDONYM_KEY)
    #: The service's secret key (``IZQUVAR_SECRET_KEY``): encrypts each account's TOTP secret at rest and keys
    #: the digests of recovery codes. Changing it makes every enrolled second factor unreadable (reset them).
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    #: Location data older than this many days is removed by ``izquvar purge`` (KDCA kept 14 days).
    retention_days: int = Field(default=14, ge=1)
    #: How far in the future a timestamp may lie before it is rejected (device clocks drift).
    clock_skew_minutes: int = Field(default=10, ge=0)
    #: The data home: the database, the location store, keys and uploads live under it (``IZQUVAR_HOME``).
    home: Path = Field(default_factory=_default_home)
    #: A SQLAlchemy database URL (``postgresql://...``); unset means the SQLite file ``HOME/izquvar.db``.
    database_url: str | None = None
    #: Failed sign-ins that lock an account when they fall within ``login_failure_window_minutes``.
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_minutes: int = Field(default=15, ge=1)
    #: How long a locked account refuses every password.
    lockout_minutes: int = Field(default=15, ge=1)
    #: How long an access token from ``POST /api/v1/auth/token`` is valid (a working day by default).
    token_minutes: int = Field(default=8 * 60, ge=1)
    #: The largest request body the service reads; a larger one is refused with 413 before it is parsed.
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    #: Browser-session cookies only over HTTPS (``Secure``); unset: on in production, off in development (where
    #: the service is reached as http://127.0.0.1).
    secure_cookies: bool | None = None

    def cookie_secure(self) -> bool:
        """Whether session cookies carry ``Secure``: ``IZQUVAR_SECURE_COOKIES``, else only in production."""
        return self.secure_cookies if self.secure_cookies is not None else self.env == "production"

    def data_paths(self) -> DataPaths:
        """The default places of the database file and the location store under the data home."""
        home = self.home.expanduser()
        return DataPaths(home=home, database=home / DATABASE_FILE, store=home / STORE_DIR)

    def resolved_database_url(self) -> str:
        """``IZQUVAR_DATABASE_URL`` when set, else the SQLite file in the data home."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_paths().database}"

    #: A TOML or JSON file of tracing-rule overrides (docs/tracing-rules.md); unset: the built-in rules.
    tracing_rules: Path | None = None
    #: The disease whose ``[diseases."NAME"]`` overrides in that file apply; unset: the file's own rules.
    tracing_disease: str | None = None
    #: A TOML or JSON file of diseases for case management (``[diseases."CODE"]``, docs/service.md); unset:
    #: the shipped ones (COVID-19).
    diseases: Path | None = None
    #: Whether the service runs tracing jobs itself (a thread of each service process); off, jobs wait.
    tracing_worker: bool = True
    #: Seconds the tracing worker sleeps when no job is due (a new lab result wakes it at once).
    tracing_poll_seconds: float = Field(default=1.0, gt=0, le=3600)
    #: Attempts a tracing job gets before it fails for good.
    tracing_max_attempts: int = Field(default=3, ge=1, le=100)
    #: Seconds before a failed attempt is retried; the n-th retry waits n times as long.
    tracing_retry_seconds: float = Field(default=30.0, ge=0)

    def pseudonym_key_bytes(self) -> bytes:
        """The pseudonymisation key, refusing the development key in production."""
        key = self.pseudonym_key.get_secret_value()
        if self.env == "production" and (not key or key == DEVELOPMENT_PSEUDONYM_KEY):
            raise Forbidden(
                "IZQUVAR_PSEUDONYM_KEY is unset or the development key while IZQUVAR_ENV=production; "
                "set a secret key of at least 32 random characters."
            )
        if self.env == "production" and len(key) < 32:
            raise Forbidden("IZQUVAR_PSEUDONYM_KEY must have at least 32 characters in production.")
        return key.encode("utf-8")

    def secret_key_bytes(self) -> bytes:
        """The service's secret key, refusing a missing or development key (or one under 32 characters) in
        production, as for the pseudonym key."""
        key = self.secret_key.get_secret_value()
        if self.env == "production" and (not key or key == DEVELOPMENT_SECRET_KEY):
            raise Forbidden(
                "IZQUVAR_SECRET_KEY is unset or the development key while IZQUVAR_ENV=production; "
                "set a secret key of at least 32 random characters."
            )
        if self.env == "production" and len(key) < 32:
            raise Forbidden("IZQUVAR_SECRET_KEY must have at least 32 characters in production.")
        return key.encode("utf-8")

    def pseudonym_key_fingerprint(self) -> str:
        """A short public fingerprint of the key, so a store can refuse data hashed with another key."""
        return hashlib.sha256(b"izquvar-key-fingerprint:" + self.pseudonym_key_bytes()).hexdigest()[:16]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
