"""Users and their access tokens: the tables, the roles, and the schemas of what comes in and goes out."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator, model_validator
from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from izquvar.db import Base, UtcDateTime, utcnow
from izquvar.geo.areas import AreaIndex

USERNAME_LENGTH = 64
DISPLAY_NAME_LENGTH = 200
AREA_ID_LENGTH = 32
#: Shorter passwords are refused (NIST SP 800-63B: at least 8; staff accounts guard health data, so 12).
MIN_PASSWORD_LENGTH = 12
#: argon2 hashes whatever it is given; an upper bound keeps one request from costing more than another.
MAX_PASSWORD_LENGTH = 256


class Role(enum.StrEnum):
    """What a user may do (the investigation service issue's roles)."""

    ADMINISTRATOR = "administrator"  # accounts and settings; no personal data
    EPIDEMIOLOGIST = "epidemiologist"  # cases, tracing, contacts in the jurisdiction
    CONTACT_TRACER = "contact_tracer"  # contacts and follow-up in the jurisdiction
    LAB = "lab"  # lab results, and the persons they are for
    ANALYST = "analyst"  # aggregates only, never a name
    DATA_PROTECTION_OFFICER = "data_protection_officer"  # the audit trail


def _role_values(roles: type[Role]) -> list[str]:
    """Roles are stored by value (``contact_tracer``), the word the API and the CLI use."""
    return [role.value for role in roles]


class User(Base):
    """A person who signs in to the service."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_LENGTH))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, create_constraint=False, length=32, values_callable=_role_values)
    )
    #: The jurisdiction: a region, or a district of it; neither means the whole country.
    region_id: Mapped[str | None] = mapped_column(String(AREA_ID_LENGTH))
    district_id: Mapped[str | None] = mapped_column(String(AREA_ID_LENGTH))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: A one-time password (the first administrator's) must be changed before anything else is allowed.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_login_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    #: The TOTP secret (RFC 6238), Fernet-encrypted under ``IZQUVAR_SECRET_KEY`` (``users.totp``); set at
    #: enrolment, and a second factor only once confirmed (``totp_enabled``).
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The time step of the last accepted code: a code of that step or an earlier one is refused (replay).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    def covers(self, region_id: str | None, district_id: str | None) -> bool:
        """Whether an address in this region and district is in the user's jurisdiction (a user without one
        covers the country; an address without a district is covered only by the region's or the country's)."""
        if self.district_id is not None:
            return district_id == self.district_id
        if self.region_id is not None:
            return region_id == self.region_id
        return True


class AccessToken(Base):
    """An issued bearer token, kept only as the SHA-256 digest of its text (see ``users.tokens``)."""

    __tablename__ = "access_tokens"
    __table_args__ = (Index("ix_access_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class RecoveryCode(Base):
    """A one-time recovery code of an account's second factor, kept only as a keyed digest (``users.totp``)."""

    __tablename__ = "totp_recovery_codes"
    __table_args__ = (Index("ix_totp_recovery_codes_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


# -- schemas ------------------------------------------------------------------------------------------------


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


#: Usernames compare in lower case: "Dilnoza.K" and "dilnoza.k" are one account.
Username = Annotated[
    str,
    BeforeValidator(_lower),
    StringConstraints(min_length=2, max_length=USERNAME_LENGTH, pattern=r"^[a-z0-9._-]+$"),
]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]


def check_jurisdiction(region_id: str | None, district_id: str | None) -> tuple[str | None, str | None]:
    """The jurisdiction's (region, district): each must be an area of its level, and the district in the region.
    A district given alone brings its region. ``ValueError`` naming the field otherwise."""
    areas = AreaIndex.default()
    if district_id is not None:
        if district_id not in areas or areas.get(district_id).level != "district":
            raise ValueError(f"district_id {district_id!r} is not a district of the area hierarchy")
        parent = areas.get(district_id).parent_id
        if region_id is None:
            region_id = parent
        elif parent != region_id:
            raise ValueError(f"district_id {district_id!r} is not in region_id {region_id!r}")
    if region_id is not None and (region_id not in areas or areas.get(region_id).level != "region"):
        raise ValueError(f"region_id {region_id!r} is not a region of the area hierarchy")
    return region_id, district_id


class UserCreate(BaseModel):
    """A new account, as an administrator (or ``izquvar user add``) gives it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: Username
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=DISPLAY_NAME_LENGTH)] | None = Field(
        default=None, description="the username when left out"
    )
    role: Role
    region_id: str | None = Field(default=None, description="jurisdiction: a region code (SOATO)")
    district_id: str | None = Field(default=None, description="jurisdiction: a district code; implies its region")
    password: Password = Field(description=f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")

    @field_validator("region_id", "district_id", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _areas(self) -> UserCreate:
        self.region_id, self.district_id = check_jurisdiction(self.region_id, self.district_id)
        return self


class UserRead(BaseModel):
    """An account as the service shows it (never its password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    region_id: str | None
    district_id: str | None
    active: bool
    must_change_password: bool
    totp_enabled: bool = Field(description="whether sign-in needs a TOTP (or recovery) code")
    locked_until: dt.datetime | None
    created_at: dt.datetime


class PasswordChange(BaseModel):
    """A user's own password change: the current password proves it is them."""

    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]
    new_password: Password


class TokenRead(BaseModel):
    """The OAuth2 password flow's answer: a bearer token and when it stops working."""

    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime


class SessionRead(BaseModel):
    """A browser session's answer: the token itself is only in the HttpOnly cookie; the CSRF token every change
    must send in ``X-CSRF-Token``."""

    csrf_token: str
    expires_at: dt.datetime


#: A TOTP code (6 digits) or a recovery code (``xxxx-xxxx-xxxx-xxxx``), as a person types it.
SecondFactorCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class TotpEnroll(BaseModel):
    """Start enrolling a TOTP second factor: the current password proves it is the account's owner."""

    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]


class TotpEnrollment(BaseModel):
    """The secret of a new second factor, shown once: scan ``otpauth_uri`` as a QR code, or type ``secret``."""

    secret: str = Field(description="base32; shown only in this answer")
    otpauth_uri: str
    digits: int
    period_seconds: int
    confirmed: bool = Field(description="false until POST /auth/totp/confirm with a valid code")


class TotpConfirm(BaseModel):
    """The first code from the authenticator app, which turns the second factor on."""

    model_config = ConfigDict(extra="forbid")

    code: SecondFactorCode


class RecoveryCodes(BaseModel):
    """One-time codes for when the authenticator is lost, shown once (each signs in once, in place of a code)."""

    recovery_codes: list[str]


class TotpDisable(BaseModel):
    """Turning the second factor off: the password and a current code (or a recovery code)."""

    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]
    code: SecondFactorCode
