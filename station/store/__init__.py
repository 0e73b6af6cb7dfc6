"""All database access, behind one facade: `Store` is the sum of the query groups.

Tables are in `models`; the queries live by concern (`pages`, `folders`, `review`,
`users`, `exports`, `documents`); `engine` connects and migrates. Callers import from
`station.store` only.
"""

from __future__ import annotations

import weakref

from station.errors import ConfigError
from station.i18n import _
from station.store.audit import AuditQueries
from station.store.documents import DocumentQueries, NewDocument
from station.store.engine import HEAD_REVISION, MIGRATIONS, make_engine, migrate, safe_url
from station.store.exports import ExportQueries
from station.store.folders import FolderQueries, ManifestImport
from station.store.models import (
    Batch,
    Document,
    Event,
    ExportVersion,
    Folder,
    Intake,
    LoginSession,
    Page,
    User,
    to_json_safe,
    utcnow,
)
from station.store.pages import REFUSED, PageQueries
from station.store.quality import QualityQueries
from station.store.review import (
    ReviewQueries,
    _refresh_review,
    folder_flag_codes,
    review_state_of,
)
from station.store.search import SearchQueries
from station.store.users import UserQueries
from station.store.work import WorkQueries

__all__ = [
    "HEAD_REVISION",
    "MIGRATIONS",
    "REFUSED",
    "Batch",
    "Document",
    "DocumentQueries",
    "Event",
    "ExportVersion",
    "Folder",
    "Intake",
    "LoginSession",
    "ManifestImport",
    "NewDocument",
    "Page",
    "Store",
    "User",
    "_refresh_review",
    "folder_flag_codes",
    "make_engine",
    "migrate",
    "review_state_of",
    "to_json_safe",
    "utcnow",
]


class Store(
    PageQueries,
    WorkQueries,
    FolderQueries,
    ReviewQueries,
    DocumentQueries,
    UserQueries,
    ExportQueries,
    QualityQueries,  # with StatsQueries, whose filters it shares
    AuditQueries,
    SearchQueries,
):
    """The station's database: every query the rest of the code needs, grouped by concern."""

    @classmethod
    def open(cls, database_url: str) -> Store:
        try:
            engine = make_engine(database_url)
            migrate(engine)
        except Exception as exc:
            raise ConfigError(
                _(
                    "Cannot open the database %(safe_url)s: %(exc)s",
                    safe_url=safe_url(database_url),
                    exc=exc,
                )
            ) from exc
        store = cls(engine)
        if engine.dialect.name == "postgresql":
            # A store dropped with connections in its pool closes them: psycopg warns of a
            # connection collected while open, and such a warning at the wrong moment (a PDF/A
            # check records every warning) would count against whatever is running then.
            weakref.finalize(store, engine.dispose)
        return store
