"""Join the two branches that grew from 0002_users_audit: the cases (0003_cases) and TOTP (0004_totp).

Revision ID: 0005_cases_totp
Revises: 0003_cases, 0004_totp
Create Date: 2026-12-08

A merge revision changes no table: it makes one head again, so a database at either branch upgrades to it.
"""

from __future__ import annotations

revision = "0005_cases_totp"
down_revision = ("0003_cases", "0004_totp")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
