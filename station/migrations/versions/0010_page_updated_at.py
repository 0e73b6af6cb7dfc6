"""An index on page.updated_at: pages per worker over the last five minutes (`station
status`, the work page, the statistics' "room now") read the pages recorded lately instead
of every page (0.45 s on a million).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_page_updated_at", "page", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_page_updated_at", table_name="page")
