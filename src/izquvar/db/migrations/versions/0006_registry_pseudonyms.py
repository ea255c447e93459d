"""The registry's pseudonyms per key (``registry_pseudonyms``), so that re-identification need not hash it all.

Revision ID: 0006_registry_pseudonyms
Revises: 0005_contact_conversion
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_registry_pseudonyms"
down_revision = "0005_contact_conversion"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_pseudonyms",
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(15), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_registry_pseudonyms_person_id_persons", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_id", "pseudonym", name="pk_registry_pseudonyms"),
    )
    op.create_index("ix_registry_pseudonyms_person_id", "registry_pseudonyms", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_registry_pseudonyms_person_id", table_name="registry_pseudonyms")
    op.drop_table("registry_pseudonyms")
