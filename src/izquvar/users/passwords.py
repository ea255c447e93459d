"""Password hashes: argon2id (RFC 9106), the winner of the Password Hashing Competition.

Why argon2id: it is memory-hard, so guessing a stolen hash on graphics cards costs as much memory per guess as
on the server; the parameters travel inside each hash, so raising them later rehashes passwords at their next
sign-in (:func:`needs_rehash`) without a migration.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

#: RFC 9106's second recommended option (t=3, 64 MiB): about 50 ms a hash on one server core.
HASHER = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (a fresh random salt each time)."""
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one behind ``password_hash`` (a damaged hash verifies nothing)."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (rehash it at the next sign-in)."""
    return HASHER.check_needs_rehash(password_hash)


def burn_verification(password: str) -> None:
    """Spend the time of one verification on nothing: a sign-in for an unknown user then takes as long as one
    with a wrong password, so the answer's timing does not tell which usernames exist."""
    verify_password(_dummy_hash(HASHER.memory_cost, HASHER.time_cost), password)


@lru_cache(maxsize=4)
def _dummy_hash(memory_cost: int, time_cost: int) -> str:
    """A hash of a password nobody has, made once per parameter set."""
    return HASHER.hash("izquvar: no such user")
