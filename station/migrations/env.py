"""Alembic environment: runs station's migrations on the connection the store hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

config = context.config
connection = config.attributes.get("connection")


def run_on(conn: Connection) -> None:
    context.configure(connection=conn, render_as_batch=True)  # batch mode: SQLite ALTERs
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run_on(connection)
else:  # `alembic -x` use from a shell, with sqlalchemy.url set in the config
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        run_on(conn)
