"""Export versions: a folder's content digest and the version and date it was given.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("folder_id", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.UniqueConstraint("folder_id", "digest", name="uq_export_version_folder_digest"),
    )
    op.create_index("ix_export_version_folder_id", "export_version", ["folder_id"])


def downgrade() -> None:
    op.drop_table("export_version")
