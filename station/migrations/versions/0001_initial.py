"""Batches, pages and events.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("source_dir", sa.String(), nullable=False),
        sa.Column("profile", sa.String(), nullable=False),
        sa.Column("out_dir", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("pdf_path", sa.String(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_batch_name", "batch", ["name"])
    op.create_index("ix_batch_state", "batch", ["state"])
    op.create_table(
        "page",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("batch.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.String(), nullable=False),
        sa.Column("page_index", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("master_path", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.Column("failed_stage", sa.String(), nullable=True),
        sa.Column("dpi", sa.Float(), nullable=True),
        sa.Column("width_px", sa.Integer(), nullable=True),
        sa.Column("height_px", sa.Integer(), nullable=True),
        sa.Column("color_mode", sa.String(), nullable=True),
        sa.Column("rotation", sa.Integer(), nullable=True),
        sa.Column("skew_deg", sa.Float(), nullable=True),
        sa.Column("blank", sa.Boolean(), nullable=False),
        sa.Column("blank_probability", sa.Float(), nullable=True),
        sa.Column("sharpness", sa.Float(), nullable=True),
        sa.Column("ocr_confidence", sa.Float(), nullable=True),
        sa.Column("ocr_word_count", sa.Integer(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("derivatives", sa.JSON(), nullable=False),
        sa.Column("pdf_page", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_page_batch_id", "page", ["batch_id"])
    op.create_index("ix_page_sha256", "page", ["sha256"])
    op.create_index("ix_page_state", "page", ["state"])
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("batch.id"), nullable=False),
        sa.Column("page_id", sa.Integer(), sa.ForeignKey("page.id"), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("tool", sa.String(), nullable=True),
        sa.Column("tool_version", sa.String(), nullable=True),
    )
    op.create_index("ix_event_batch_id", "event", ["batch_id"])
    op.create_index("ix_event_page_id", "event", ["page_id"])


def downgrade() -> None:
    op.drop_table("event")
    op.drop_table("page")
    op.drop_table("batch")
