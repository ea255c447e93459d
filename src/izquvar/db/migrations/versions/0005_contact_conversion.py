"""A contact converted into a case keeps the case it became (``contacts.converted_case_id``).

Revision ID: 0005_contact_conversion
Revises: 0004_totp
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_contact_conversion"
down_revision = "0004_totp"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as contacts:
        contacts.add_column(sa.Column("converted_case_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as contacts:
        contacts.drop_column("converted_case_id")
