"""What every group of queries shares: the engine, sessions, setting a row's columns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from station.store.models import Folder, Page, utcnow

# Called inside the transaction that records a new page (the session, the page with its id):
# distributed mode puts the page's job on the queue there, so the two cannot disagree.
PageHook = Callable[[Session, Page], None]


class StoreBase:
    """The engine and a session per unit of work; each query group builds on this."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.on_page_added: PageHook | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()


def _assign(row: Page | Folder, values: dict[str, Any]) -> None:
    """Set the given columns of a row, and when it changed."""
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
