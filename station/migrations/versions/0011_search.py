"""Search (issue 14): search_entry, one row per folder, document and page text, and the
database's own full-text index over it (SQLite FTS5 with its triggers; PostgreSQL stored
generated tsvector columns, to_tsvector('simple', …), with GIN indexes).
`station search --reindex` fills it for what was recorded before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("folder_id", sa.String(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("page_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("folded", sa.String(), nullable=False),
        sa.Column("exact_text", sa.String(), nullable=False),
        sa.UniqueConstraint("kind", "ref", name="uq_search_entry_ref"),
    )
    op.create_index("ix_search_entry_page_id", "search_entry", ["page_id"])
    from station.store.search_index import create_full_text

    create_full_text(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_entry")
