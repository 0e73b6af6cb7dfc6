"""Search filters in the full-text index (issue 14): every entry's folded words end with its
folder's fonds and box (`qqfonds05 qqbox12`), and a page's entry follows the page into its
folder, so that a filter by fonds or box is one more word for the engine to intersect
(station.search.query.facets). An index on search_entry.folder_id keeps refiling a folder's
entries quick.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_search_entry_folder_id", "search_entry", ["folder_id"])
    from station.store.search_index import add_facets

    add_facets(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_search_entry_folder_id", table_name="search_entry")
