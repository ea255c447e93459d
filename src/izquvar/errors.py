"""One error tree for izquvar, mapped to CLI exit codes in exactly one place (``izquvar.cli``)::

IzquvarError
├── InvalidInput      the caller gave something unusable (bad file, bad option, bad row set)
│   └── Conflict      it clashes with what is stored (a PINFL, phone or username already registered)
├── NotFound          a store, person, file or area that does not exist (or one outside the user's jurisdiction)
├── Forbidden         a safety rule or the user's role refuses the request (e.g. no pseudonym key in production)
├── Unauthenticated   no valid sign-in: wrong credentials, an expired or revoked token
│   ├── AccountLocked repeated failed sign-ins locked the account for a while
│   ├── SecondFactorRequired  the password was right, but the account also needs its TOTP (or a recovery) code
│   └── SecondFactorFailed    the password was right, the code wrong or already used
├── StoreError        the store is damaged or was written by an incompatible version
├── IngestFailed      an ingest could not complete; the store is left as it was
└── AuditChainBroken  the audit trail's hash chain does not verify: a record was edited or deleted

The service maps the same tree to HTTP statuses in one place (``izquvar.service.errors``). An error may name
the input ``field`` it is about, so that an API client can point at it.
"""

from __future__ import annotations

import datetime as dt


class IzquvarError(Exception):
    """Root of every error izquvar raises on purpose; the message is meant for a person."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidInput(IzquvarError):
    """The input cannot be used as given; the message names what and where."""

    exit_code = 2


class Conflict(InvalidInput):
    """The input clashes with something already stored (a duplicate key)."""


class NotFound(IzquvarError):
    """Something named by the caller does not exist."""

    exit_code = 3


class Forbidden(IzquvarError):
    """A safety or privacy rule refuses the request."""

    exit_code = 4


class Unauthenticated(IzquvarError):
    """The caller is not signed in: wrong username or password, or a missing, expired or revoked token."""

    exit_code = 4


class AccountLocked(Unauthenticated):
    """Too many failed sign-ins in a row: the account refuses every password until ``until``."""

    def __init__(self, message: str, *, until: dt.datetime) -> None:
        super().__init__(message)
        self.until = until


class SecondFactorRequired(Unauthenticated):
    """The password was right, but the account has a TOTP second factor and no code came with it."""


class SecondFactorFailed(Unauthenticated):
    """The password was right, but the TOTP code was wrong or already used, or the recovery code unknown or used."""


class StoreError(IzquvarError):
    """The store is damaged or incompatible."""

    exit_code = 5


class IngestFailed(IzquvarError):
    """The ingest itself failed (not a bad row): nothing of the batch was stored."""

    exit_code = 6


class AuditChainBroken(IzquvarError):
    """The audit trail's hash chain is broken: a record was edited, deleted or inserted out of turn."""

    exit_code = 7
