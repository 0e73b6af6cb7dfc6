"""Documents (văn bản) inside folders: the document table, each page's reading and document.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("folder_id", sa.String(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("boundary_confidence", sa.Float(), nullable=False, server_default="1"),
        sa.Column("secrecy", sa.String(), nullable=False, server_default=""),
        sa.Column("state", sa.String(), nullable=False, server_default="unconfirmed"),
        sa.Column("confirmed_by", sa.String(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("edited", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("pdf_path", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_document_folder_id", "document", ["folder_id"])
    with op.batch_alter_table("page") as batch:
        batch.add_column(sa.Column("reading", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("folder_label", sa.String(), nullable=True))
    op.create_index("ix_page_document_id", "page", ["document_id"])
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
    op.create_index("ix_event_document_id", "event", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_event_document_id", table_name="event")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("document_id")
    op.drop_index("ix_page_document_id", table_name="page")
    with op.batch_alter_table("page") as batch:
        batch.drop_column("folder_label")
        batch.drop_column("document_id")
        batch.drop_column("reading")
    op.drop_index("ix_document_folder_id", table_name="document")
    op.drop_table("document")
