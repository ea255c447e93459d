"""The optional second factor: TOTP codes (RFC 6238) from an authenticator app, and one-time recovery codes.

- **The secret at rest** is Fernet-encrypted (AES-128-CBC with HMAC-SHA-256, from ``cryptography``) under a key
  derived by HKDF-SHA-256 from ``IZQUVAR_SECRET_KEY``: a copy of the database alone yields no working secret.
- **Codes** are pyotp's TOTP (HMAC-SHA-1, 6 digits, 30-second steps: what every authenticator app speaks),
  accepted one step either side for clock drift. The step of the last accepted code is kept, and a code of that
  step or an earlier one is refused: RFC 6238 §5.2 asks that a code is accepted only once.
- **Recovery codes** have 80 random bits each (16 base32 characters, ``xxxx-xxxx-xxxx-xxxx``) and are stored as
  HMAC-SHA-256 digests keyed from the secret key: too much entropy to guess, so a fast keyed hash suffices
  (as for access tokens); each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from izquvar.config import Settings
from izquvar.errors import Forbidden

ISSUER = "izquvar"
DIGITS = 6
PERIOD_SECONDS = 30
#: Steps accepted either side of now (RFC 6238 §5.2 recommends at most one for network delay and drift).
VALID_WINDOW = 1
RECOVERY_CODES = 10
_RECOVERY_BYTES = 10  # 80 bits: 16 base32 characters


def _derived(settings: Settings, purpose: bytes) -> bytes:
    """32 bytes for ``purpose`` from the secret key (HKDF-SHA-256), so the key itself is used for nothing."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"izquvar " + purpose)
    return hkdf.derive(settings.secret_key_bytes())


def _fernet(settings: Settings) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived(settings, b"totp secret")))


def new_secret() -> str:
    """A fresh random base32 secret (160 bits, RFC 4226's recommended length)."""
    return pyotp.random_base32(length=32)


def encrypt(secret: str, settings: Settings) -> str:
    """The secret as stored."""
    return _fernet(settings).encrypt(secret.encode("ascii")).decode("ascii")


def decrypt(stored: str, settings: Settings) -> str:
    """The secret behind ``stored``; ``Forbidden`` when the secret key cannot open it (it was changed)."""
    try:
        return _fernet(settings).decrypt(stored.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        raise Forbidden(
            "the account's TOTP secret cannot be decrypted with IZQUVAR_SECRET_KEY (was the key changed?); "
            "an administrator can reset the second factor"
        ) from exc


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads (as a QR code)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD_SECONDS).provisioning_uri(
        name=username, issuer_name=ISSUER
    )


def current_step(now: float | None = None) -> int:
    """The RFC 6238 time step of ``now`` (Unix seconds)."""
    return int((time.time() if now is None else now) // PERIOD_SECONDS)


def code_at(secret: str, step: int) -> str:
    """The code of ``step`` (what the authenticator app shows during it)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD_SECONDS).generate_otp(step)


def matching_step(secret: str, code: str, *, after: int | None, now: float | None = None) -> int | None:
    """The step within the window whose code is ``code`` and that is later than ``after`` (the last accepted
    step), or ``None``: a wrong code, or one already used (replay)."""
    if not looks_like_totp(code):
        return None
    here = current_step(now)
    found = None
    for step in range(here - VALID_WINDOW, here + VALID_WINDOW + 1):
        if hmac.compare_digest(code_at(secret, step), code) and (after is None or step > after):
            found = step
    return found


def looks_like_totp(code: str) -> bool:
    """Whether ``code`` has the form of a TOTP code (else it is taken as a recovery code)."""
    return len(code) == DIGITS and code.isascii() and code.isdigit()  # not "٣" and other Unicode digits


def new_recovery_codes() -> list[str]:
    """``RECOVERY_CODES`` fresh recovery codes, as shown to the person."""
    codes = []
    for _ in range(RECOVERY_CODES):
        text = base64.b32encode(secrets.token_bytes(_RECOVERY_BYTES)).decode("ascii").lower()
        codes.append("-".join(text[i : i + 4] for i in range(0, 16, 4)))
    return codes


def recovery_digest(code: str, settings: Settings) -> str:
    """The keyed digest a recovery code is stored and looked up as (case, spaces and dashes ignored)."""
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hmac.new(_derived(settings, b"recovery codes"), normal.encode("utf-8"), hashlib.sha256).hexdigest()
