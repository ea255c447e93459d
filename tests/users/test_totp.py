"""TOTP codes as RFC 6238 defines them, the window and replay rule, recovery codes and the encrypted secret."""

from __future__ import annotations

import pytest

from izquvar.config import Settings
from izquvar.errors import Forbidden
from izquvar.users import totp

#: RFC 6238 Appendix B: the SHA-1 test secret "12345678901234567890", base32.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"), (2000000000, "69279037")],
)
def test_codes_are_rfc_6238s_test_vectors(unix_time: int, eight_digits: str) -> None:
    # the RFC's vectors have 8 digits; a 6-digit code is the same truncation's last 6 (RFC 4226 §5.3)
    assert totp.code_at(RFC_SECRET, totp.current_step(unix_time)) == eight_digits[-6:]


def test_one_step_either_side_and_never_a_step_already_accepted() -> None:
    now = 1_800_000_000.0
    step = totp.current_step(now)
    for offset in (-1, 0, 1):
        code = totp.code_at(RFC_SECRET, step + offset)
        assert totp.matching_step(RFC_SECRET, code, after=None, now=now) == step + offset
        assert totp.matching_step(RFC_SECRET, code, after=step + offset, now=now) is None  # replay
        assert totp.matching_step(RFC_SECRET, code, after=step - 2, now=now) == step + offset
    for offset in (-2, 2):
        assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step + offset), after=None, now=now) is None
    for odd in ("", "12345", "1234567", "12 456", "١٢٣٤٥٦", "abcdef"):
        assert totp.matching_step(RFC_SECRET, odd, after=None, now=now) is None


def test_recovery_codes_are_random_and_digested_under_the_key() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == totp.RECOVERY_CODES == len(set(codes))
    assert all(len(c) == 19 and c.count("-") == 3 for c in codes)
    settings = Settings()
    digest = totp.recovery_digest(codes[0], settings)
    assert totp.recovery_digest(codes[0].upper().replace("-", " "), settings) == digest
    assert totp.recovery_digest(codes[0], Settings(secret_key="another secret key")) != digest  # type: ignore[arg-type]


def test_the_secret_is_encrypted_and_needs_the_same_key() -> None:
    secret = totp.new_secret()
    stored = totp.encrypt(secret, Settings())
    assert secret not in stored and totp.decrypt(stored, Settings()) == secret
    with pytest.raises(Forbidden, match="IZQUVAR_SECRET_KEY"):
        totp.decrypt(stored, Settings(secret_key="another secret key"))  # type: ignore[arg-type]
    uri = totp.provisioning_uri(secret, "dilnoza.k")
    assert uri.startswith("otpauth://totp/izquvar:dilnoza.k?") and f"secret={secret}" in uri
