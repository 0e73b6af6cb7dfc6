"""Who processes pages and how fast: what `station status` and the web app show.

Pages per minute of each worker (or machine) over the last minutes, from the pages they
recorded; in distributed mode also the queue's depth and the workers alive.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from station.i18n import _
from station.settings import StationSettings
from station.store import Store, utcnow

WINDOW_MINUTES = 5


def work_status(store: Store, settings: StationSettings) -> dict[str, Any]:
    since = utcnow() - timedelta(minutes=WINDOW_MINUTES)
    rates = {
        worker: round(count / WINDOW_MINUTES, 1)
        for worker, count in sorted(store.pages_per_worker(since).items())
    }
    status: dict[str, Any] = {"window_minutes": WINDOW_MINUTES, "pages_per_minute": rates}
    if settings.distributed:
        from station.distributed import queue  # Procrastinate: half a second, not when local

        status["queue"] = queue.queue_status(store.engine, settings.stalled_after_s)
    return status


def describe(status: dict[str, Any]) -> list[str]:
    """The status in a sentence or two, for a terminal or a page."""
    lines = []
    if "queue" in status:
        depth = ", ".join(
            _(
                "%(queue)s %(todo)s waiting, %(doing)s running",
                queue=name,
                todo=counts["todo"],
                doing=counts["doing"],
            )
            for name, counts in sorted(status["queue"]["queues"].items())
        )
        lines.append(
            _(
                "Queue: %(depth)s; live workers: %(live)s",
                depth=depth or _("empty"),
                live=status["queue"]["live_workers"],
            )
        )
    if status["pages_per_minute"]:
        lines.append(
            _(
                "Pages per minute (last %(minutes)s min): %(rates)s",
                minutes=status["window_minutes"],
                rates=", ".join(f"{w} {rate}" for w, rate in status["pages_per_minute"].items()),
            )
        )
    return lines
