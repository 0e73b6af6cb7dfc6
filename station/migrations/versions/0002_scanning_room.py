"""The scanning room: manifest folders, the intake ledger, page folder assignment.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "folder",
        sa.Column("folder_id", sa.String(), primary_key=True),
        sa.Column("fonds_code", sa.String(), nullable=False),
        sa.Column("catalogue_no", sa.String(), nullable=False),
        sa.Column("box_no", sa.String(), nullable=False),
        sa.Column("folder_no", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("retention_years", sa.Integer(), nullable=True),
        sa.Column("access", sa.String(), nullable=False),
        sa.Column("sheet_count", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        sa.Column("physical_condition", sa.String(), nullable=False),
        sa.Column("secrecy", sa.String(), nullable=False),
        sa.Column("in_manifest", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("pages_found", sa.Integer(), nullable=False),
        sa.Column("sheets_counted", sa.Integer(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("pdf_path", sa.String(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_folder_box_no", "folder", ["box_no"])
    op.create_table(
        "intake",
        sa.Column("sha256", sa.String(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("batch.id"), nullable=False),
        sa.Column("source_file", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_intake_batch_id", "intake", ["batch_id"])
    with op.batch_alter_table("batch") as batch:
        batch.add_column(sa.Column("origin", sa.String(), nullable=False, server_default="cli"))
        batch.add_column(sa.Column("operator", sa.String(), nullable=True))
        batch.add_column(sa.Column("station_name", sa.String(), nullable=True))
        batch.add_column(sa.Column("folders", sa.JSON(), nullable=True))
    with op.batch_alter_table("page") as page:
        page.add_column(sa.Column("folder_id", sa.String(), nullable=True))
        page.add_column(sa.Column("separator", sa.String(), nullable=True))
        page.add_column(sa.Column("phash", sa.String(), nullable=True))
        page.create_index("ix_page_folder_id", ["folder_id"])
    with op.batch_alter_table("event") as event:
        event.alter_column("batch_id", existing_type=sa.Integer(), nullable=True)
        event.add_column(sa.Column("folder_id", sa.String(), nullable=True))
        event.create_index("ix_event_folder_id", ["folder_id"])


def downgrade() -> None:
    with op.batch_alter_table("event") as event:
        event.drop_index("ix_event_folder_id")
        event.drop_column("folder_id")
        event.alter_column("batch_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("page") as page:
        page.drop_index("ix_page_folder_id")
        page.drop_column("phash")
        page.drop_column("separator")
        page.drop_column("folder_id")
    with op.batch_alter_table("batch") as batch:
        batch.drop_column("folders")
        batch.drop_column("station_name")
        batch.drop_column("operator")
        batch.drop_column("origin")
    op.drop_table("intake")
    op.drop_table("folder")
