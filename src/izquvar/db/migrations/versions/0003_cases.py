"""Cases, lab results, durable tracing jobs, proposed contacts and contacts (the investigation service).

Revision ID: 0003_cases
Revises: 0002_users_audit
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from izquvar.db.base import UtcDateTime

revision = "0003_cases"
down_revision = "0002_users_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("disease", sa.String(length=64), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("specimen_date", sa.Date(), nullable=True),
        sa.Column("isolation_date", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("hospitalised", sa.Boolean(), nullable=False),
        sa.Column("investigating_user_id", sa.Integer(), nullable=True),
        sa.Column("source_case_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.String(length=32), nullable=True),
        sa.Column("district_id", sa.String(length=32), nullable=True),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["investigating_user_id"], ["users.id"], name="fk_cases_investigating_user_id_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name="fk_cases_person_id_persons", ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["source_case_id"], ["cases.id"], name="fk_cases_source_case_id_cases", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_classification_created_at", "cases", ["classification", "created_at"])
    op.create_index("ix_cases_created_at", "cases", ["created_at"])
    op.create_index("ix_cases_district_id_created_at", "cases", ["district_id", "created_at"])
    op.create_index("ix_cases_person_id_disease", "cases", ["person_id", "disease"])
    op.create_index("ix_cases_region_id_created_at", "cases", ["region_id", "created_at"])
    op.create_index("ix_cases_source_case_id", "cases", ["source_case_id"])
    op.create_index("ix_cases_specimen_date", "cases", ["specimen_date"])
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("pseudonym", sa.String(length=64), nullable=True),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("setting", sa.String(length=64), nullable=True),
        sa.Column("last_exposure_date", sa.Date(), nullable=True),
        sa.Column("risk", sa.Float(), nullable=True),
        sa.Column("minutes", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("proposed_contact_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.String(length=32), nullable=True),
        sa.Column("district_id", sa.String(length=32), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_contacts_case_id_cases", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name="fk_contacts_created_by_user_id_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_contacts_person_id_persons", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
    )
    op.create_index("ix_contacts_case_id", "contacts", ["case_id"])
    op.create_index("ix_contacts_district_id_created_at", "contacts", ["district_id", "created_at"])
    op.create_index("ix_contacts_person_id", "contacts", ["person_id"])
    op.create_index("ix_contacts_region_id_created_at", "contacts", ["region_id", "created_at"])
    op.create_index(
        "ix_contacts_last_exposure_date_created_at_id", "contacts", ["last_exposure_date", "created_at", "id"]
    )
    op.create_table(
        "lab_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("disease", sa.String(length=64), nullable=False),
        sa.Column("test", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("specimen_date", sa.Date(), nullable=False),
        sa.Column("result_date", sa.Date(), nullable=True),
        sa.Column("entered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("tracing_job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_lab_results_case_id_cases", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["entered_by_user_id"], ["users.id"], name="fk_lab_results_entered_by_user_id_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_lab_results_person_id_persons", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lab_results"),
    )
    op.create_index("ix_lab_results_case_id", "lab_results", ["case_id"])
    op.create_index("ix_lab_results_person_id", "lab_results", ["person_id"])
    op.create_table(
        "tracing_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("run_after", UtcDateTime(), nullable=False),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_tracing_jobs_case_id_cases", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_tracing_jobs"),
    )
    op.create_index("ix_tracing_jobs_case_id", "tracing_jobs", ["case_id"])
    op.create_index("ix_tracing_jobs_status_run_after", "tracing_jobs", ["status", "run_after"])
    op.create_table(
        "proposed_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("contact_class", sa.String(length=16), nullable=False),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("max_daily_minutes", sa.Float(), nullable=False),
        sa.Column("closest_m", sa.Float(), nullable=True),
        sa.Column("attenuation_db", sa.Float(), nullable=True),
        sa.Column("setting", sa.String(length=64), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("first_seen", UtcDateTime(), nullable=False),
        sa.Column("last_seen", UtcDateTime(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_proposed_contacts_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name="fk_proposed_contacts_decided_by_user_id_users",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["tracing_jobs.id"], name="fk_proposed_contacts_job_id_tracing_jobs", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_proposed_contacts_person_id_persons", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_proposed_contacts"),
    )
    op.create_index("ix_proposed_contacts_case_id_status", "proposed_contacts", ["case_id", "status"])
    op.create_index("ix_proposed_contacts_person_id", "proposed_contacts", ["person_id"])


def downgrade() -> None:
    for table in ("proposed_contacts", "tracing_jobs", "lab_results", "contacts", "cases"):
        op.drop_table(table)
