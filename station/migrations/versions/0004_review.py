"""Review: page decisions and order, folder approval and review counts, log-in sessions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page") as page:
        page.add_column(sa.Column("position", sa.Integer(), nullable=True))
        page.add_column(sa.Column("decision", sa.String(), nullable=True))
        page.add_column(sa.Column("reason", sa.String(), nullable=True))
        page.add_column(sa.Column("decided_by", sa.String(), nullable=True))
        page.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        page.add_column(sa.Column("turn", sa.Integer(), nullable=False, server_default="0"))
        page.add_column(sa.Column("secrecy", sa.String(), nullable=False, server_default=""))
        page.add_column(sa.Column("rescan_of", sa.Integer(), nullable=True))
        page.add_column(sa.Column("replaced_by", sa.Integer(), nullable=True))
        page.create_index("ix_page_folder_position", ["folder_id", "position"])
        page.create_index("ix_page_decision", ["decision"])
    with op.batch_alter_table("folder") as folder:
        folder.add_column(sa.Column("id", sa.Integer(), nullable=True))
        folder.add_column(sa.Column("profile", sa.String(), nullable=False, server_default=""))
        folder.add_column(
            sa.Column("review_state", sa.String(), nullable=False, server_default="empty")
        )
        folder.add_column(sa.Column("review_counts", sa.JSON(), nullable=True))
        folder.add_column(sa.Column("page_flags", sa.JSON(), nullable=True))
        folder.add_column(sa.Column("operators", sa.JSON(), nullable=True))
        folder.add_column(sa.Column("approved_by", sa.String(), nullable=True))
        folder.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        folder.create_index("ix_folder_id", ["id"], unique=True)
        folder.create_index("ix_folder_review_state", ["review_state"])
    # Existing folders get their short ids in shelf order of insertion (SQLite's rowid;
    # PostgreSQL has no such column, ctid, the row's place in the table, comes closest).
    connection = op.get_bind()
    order = "rowid" if connection.dialect.name == "sqlite" else "ctid"
    ids = connection.execute(sa.text(f"select folder_id from folder order by {order}")).scalars()
    for number, folder_id in enumerate(list(ids), start=1):
        connection.execute(
            sa.text("update folder set id = :id where folder_id = :folder_id"),
            {"id": number, "folder_id": folder_id},
        )
    op.create_table(
        "login_session",
        sa.Column("token_hash", sa.String(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("csrf_token", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_login_session_user_id", "login_session", ["user_id"])


def downgrade() -> None:
    op.drop_table("login_session")
    with op.batch_alter_table("folder") as folder:
        folder.drop_index("ix_folder_review_state")
        folder.drop_index("ix_folder_id")
        for name in (
            "approved_at", "approved_by", "operators", "page_flags", "review_counts",
            "review_state", "profile", "id",
        ):  # fmt: skip
            folder.drop_column(name)
    with op.batch_alter_table("page") as page:
        page.drop_index("ix_page_decision")
        page.drop_index("ix_page_folder_position")
        for name in (
            "replaced_by", "rescan_of", "secrecy", "turn", "decided_at", "decided_by", "reason",
            "decision", "position",
        ):  # fmt: skip
            page.drop_column(name)
