"""One error tree for izquvar, mapped to CLI exit codes in exactly one place (``izquvar.cli``)::

IzquvarError
├── InvalidInput      the caller gave something unusable (bad file, bad option, bad row set)
├── NotFound          a store, person, file or area that does not exist
├── Forbidden         a safety rule refuses the request (e.g. no pseudonym key in production)
├── StoreError        the store is damaged or was written by an incompatible version
└── IngestFailed      an ingest could not complete; the store is left as it was
"""

from __future__ import annotations


class IzquvarError(Exception):
    """Root of every error izquvar raises on purpose; the message is meant for a person."""

    exit_code = 2


class InvalidInput(IzquvarError):
    """The input cannot be used as given; the message names what and where."""

    exit_code = 2


class NotFound(IzquvarError):
    """Something named by the caller does not exist."""

    exit_code = 3


class Forbidden(IzquvarError):
    """A safety or privacy rule refuses the request."""

    exit_code = 4


class StoreError(IzquvarError):
    """The store is damaged or incompatible."""

    exit_code = 5


class IngestFailed(IzquvarError):
    """The ingest itself failed (not a bad row): nothing of the batch was stored."""

    exit_code = 6
