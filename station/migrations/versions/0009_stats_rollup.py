"""Statistics rollups (issue 13): pages counted per batch, folder, state, decision and day
(page_tally), and each reviewer's active time per day (review_time), so `/stats` answers in
well under half a second on a million pages. Both are filled here from the pages already
recorded; from then on station.store.stats keeps them in the same flush as each page write.
And indexes for the audit page's filters on the event table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_tally",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("error_code", sa.String(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_day", sa.String(), nullable=False),
        sa.Column("rescan", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "batch_id",
            "folder_id",
            "state",
            "error_code",
            "decision",
            "reason",
            "decided_by",
            "decided_day",
            "rescan",
            name="uq_page_tally_key",
        ),
    )
    op.create_table(
        "review_time",
        sa.Column("reviewer", sa.String(), primary_key=True),
        sa.Column("day", sa.String(), primary_key=True),
        sa.Column("active_s", sa.Float(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=True),
    )
    # the audit page's filters, newest first: by user, by action, by time
    op.create_index("ix_event_agent_id", "event", ["agent", "id"])
    op.create_index("ix_event_stage_id", "event", ["stage", "id"])
    op.create_index("ix_event_at", "event", ["at"])
    from station.store.stats import backfill_rollups

    backfill_rollups(op.get_bind())


def downgrade() -> None:
    for index in ("ix_event_at", "ix_event_stage_id", "ix_event_agent_id"):
        op.drop_index(index, table_name="event")
    op.drop_table("review_time")
    op.drop_table("page_tally")
