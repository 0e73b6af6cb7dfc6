"""The queue: Procrastinate's App on the station's PostgreSQL, and putting jobs on it.

Jobs are put on the queue inside the caller's SQLAlchemy transaction (the page recorded,
the batch's last result), on the same connection, so the queue and the tables can never
disagree: either both are written or neither.
"""

from __future__ import annotations

from typing import Any

from procrastinate import App, PsycopgConnector, exceptions
from procrastinate import jobs as queue_jobs
from procrastinate.manager import JobManager
from procrastinate.schema import SchemaManager
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

NAMESPACE = "station"
PAGES, BATCHES, UPKEEP = "pages", "batches", "upkeep"
QUEUES = (PAGES, BATCHES, UPKEEP)

# Priorities: higher runs first. A rescan or a small batch is not stuck behind a backlog.
PRIORITY_RESCAN, PRIORITY_SMALL, PRIORITY_BACKLOG = 20, 10, 0
SMALL_BATCH = 50  # pages

# Only ever used with a connection handed to it (the caller's transaction): never opened.
_IN_TRANSACTION = JobManager(SyncPsycopgConnector())


def conninfo(database_url: str) -> str:
    """libpq's form of a SQLAlchemy URL (`postgresql+psycopg://` → `postgresql://`)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def make_app(database_url: str) -> App:
    """The Procrastinate app with station's jobs (station.distributed.jobs)."""
    from station.distributed.jobs import blueprint

    app = App(connector=PsycopgConnector(conninfo=conninfo(database_url)))
    app.add_tasks_from(blueprint, namespace=NAMESPACE)
    return app


def ensure_schema(engine: Engine) -> None:
    """Create the queue's tables once; an advisory lock keeps two machines from racing."""
    with engine.begin() as connection:
        connection.execute(text("select pg_advisory_xact_lock(7251501)"))
        present = connection.execute(
            text("select to_regclass('procrastinate_jobs') is not null")
        ).scalar()
        if not present:
            connection.execute(text(SchemaManager.get_schema()))


def defer(
    session: Session,
    task: str,
    queue: str,
    *,
    priority: int = 0,
    lock: str | None = None,
    queueing_lock: str | None = None,
    **kwargs: Any,
) -> bool:
    """Put a job on the queue in `session`'s transaction; False when `queueing_lock` says
    one is already waiting (that refusal leaves the transaction usable)."""
    raw = session.connection().connection.driver_connection
    job = queue_jobs.Job(
        id=None,
        queue=queue,
        task_name=f"{NAMESPACE}:{task}",
        priority=priority,
        lock=lock,
        queueing_lock=queueing_lock,
        task_kwargs=kwargs,
    )
    savepoint = session.begin_nested()
    try:
        _IN_TRANSACTION.batch_defer_jobs([job], connection=raw)
    except exceptions.AlreadyEnqueued:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def page_job(session: Session, page_id: int, sha256: str, priority: int) -> None:
    """The job of one recorded page."""
    defer(session, "process_page", PAGES, priority=priority, page_id=page_id, sha256=sha256)


def finish_job(session: Session, batch_id: int) -> None:
    """The job that finishes a batch (folders, documents, report): one at a time per batch,
    and never two waiting."""
    defer(
        session,
        "finish_batch",
        BATCHES,
        priority=PRIORITY_RESCAN,
        lock=f"batch-{batch_id}",
        queueing_lock=f"finish-batch-{batch_id}",
        batch_id=batch_id,
    )


def batch_priority(pages: int, origin: str) -> int:
    """Rescans first, then small batches, then the backlog."""
    if origin == "rescan":
        return PRIORITY_RESCAN
    return PRIORITY_SMALL if pages <= SMALL_BATCH else PRIORITY_BACKLOG


def queue_status(engine: Engine, stalled_after_s: float) -> dict[str, Any]:
    """Jobs waiting and running by queue, and workers alive (beating within the limit)."""
    with engine.connect() as connection:
        if not connection.execute(
            text("select to_regclass('procrastinate_jobs') is not null")
        ).scalar():
            return {"queues": {}, "live_workers": 0}
        rows = connection.execute(
            text(
                "select queue_name, status::text, count(*) from procrastinate_jobs "
                "where status in ('todo', 'doing') group by queue_name, status"
            )
        ).all()
        live = connection.execute(
            text(
                "select count(*) from procrastinate_workers "
                "where last_heartbeat > now() - make_interval(secs => :limit)"
            ),
            {"limit": stalled_after_s},
        ).scalar()
    queues: dict[str, dict[str, int]] = {}
    for name, status, count in rows:
        queues.setdefault(str(name), {"todo": 0, "doing": 0})[str(status)] = int(count)
    return {"queues": queues, "live_workers": int(live or 0)}
