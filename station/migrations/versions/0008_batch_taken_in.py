"""When a batch's intake ended (only then may its last page's result finish the batch),
which worker processed each page (for the pages per minute of each worker), and how many
times a worker started on it (a page that kills its worker every time is given up).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Distributed workers may finish every page recorded so far while originals are still
    # being copied in; the batch is complete only once intake has ended too. Batches from
    # before this column existed were taken in whole before their pages ran.
    with op.batch_alter_table("batch") as batch:
        batch.add_column(sa.Column("taken_in_at", sa.DateTime(), nullable=True))
    op.execute("update batch set taken_in_at = started_at")
    with op.batch_alter_table("page") as page:
        page.add_column(sa.Column("processed_by", sa.String(), nullable=True))
        page.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("page") as page:
        page.drop_column("attempts")
        page.drop_column("processed_by")
    with op.batch_alter_table("batch") as batch:
        batch.drop_column("taken_in_at")
