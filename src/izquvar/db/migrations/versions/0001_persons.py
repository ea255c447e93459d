"""The identity registry: persons and their phone numbers.

Revision ID: 0001_persons
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from izquvar.db.base import UtcDateTime

revision = "0001_persons"
down_revision = None
branch_labels = None
depends_on = None


def _key() -> sa.types.TypeEngine[str]:
    """Search keys compare byte for byte: PostgreSQL's ``C`` collation (SQLite's default already is)."""
    return sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("national_id", sa.String(14), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("patronymic", sa.String(100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("region_id", sa.String(32), nullable=True),
        sa.Column("district_id", sa.String(32), nullable=True),
        sa.Column("mahalla_id", sa.String(32), nullable=True),
        sa.Column("street", sa.String(200), nullable=True),
        sa.Column("house", sa.String(50), nullable=True),
        sa.Column("preferred_language", sa.String(8), nullable=True),
        sa.Column("family_key", _key(), nullable=False),
        sa.Column("given_key", _key(), nullable=False),
        sa.Column("full_key", _key(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_persons"),
        sa.UniqueConstraint("national_id", name="uq_persons_national_id"),
    )
    op.create_index("ix_persons_district_id", "persons", ["district_id"])
    op.create_index("ix_persons_family_key", "persons", ["family_key"])
    op.create_index("ix_persons_given_key", "persons", ["given_key"])
    op.create_index("ix_persons_full_key", "persons", ["full_key"])
    op.create_table(
        "person_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(15), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_person_phones_person_id_persons", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_person_phones"),
        sa.UniqueConstraint("msisdn", name="uq_person_phones_msisdn"),
    )
    op.create_index("ix_person_phones_person_id", "person_phones", ["person_id"])


def downgrade() -> None:
    op.drop_table("person_phones")
    op.drop_table("persons")
