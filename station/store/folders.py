"""Folders (hồ sơ) of the manifest: import, lookup and the holding folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from station.manifest import ManifestFolder, number_key
from station.store.audit import VIEWED  # views are the audit's, not a history's
from station.store.base import StoreBase, _assign
from station.store.models import Event, Folder, utcnow


class FolderQueries(StoreBase):
    """The manifest's folders and what scanning found of them."""

    # --- folders (hồ sơ) ---

    def import_folders(self, folders: list[ManifestFolder], source: Path) -> ManifestImport:
        """Add new folders and update changed ones by folder id, recording every change."""
        summary = ManifestImport()
        now = utcnow()
        with self.session() as s:
            _lock_folder_numbers(s)
            for folder in folders:
                values = _folder_values(folder)
                row = s.get(Folder, folder.folder_id)
                if row is None:
                    number = _next_folder_number(s)
                    s.add(Folder(**values, id=number, imported_at=now, updated_at=now))
                    s.flush()
                    summary.added.append(folder.folder_id)
                    continue
                changes = {
                    key: [_jsonable(getattr(row, key)), _jsonable(value)]
                    for key, value in values.items()
                    if getattr(row, key) != value
                }
                if not changes:
                    summary.unchanged.append(folder.folder_id)
                    continue
                for key, value in values.items():
                    setattr(row, key, value)
                row.imported_at = row.updated_at = now
                summary.changed[folder.folder_id] = changes
            s.add_all(
                Event(
                    folder_id=folder_id,
                    stage="manifest",
                    outcome="ok",
                    detail={"source": source.name, "action": action, **extra},
                )
                for folder_id, action, extra in [
                    *((f, "added", {}) for f in summary.added),
                    *((f, "changed", {"changes": c}) for f, c in summary.changed.items()),
                ]
            )
        return summary

    def get_folder(self, folder_id: str) -> Folder | None:
        with self.session() as s:
            return s.get(Folder, folder_id)

    def list_folders(self, box_no: str | None = None) -> list[Folder]:
        with self.session() as s:
            query = select(Folder)
            if box_no is not None:
                query = query.where(Folder.box_no == box_no)
            rows = list(s.exec(query))
        return sorted(rows, key=_folder_order)

    def manifest_folder_ids(self) -> set[str]:
        with self.session() as s:
            return set(s.exec(select(Folder.folder_id).where(col(Folder.in_manifest))))

    def ensure_holding_folder(self, folder_id: str, title: str) -> None:
        with self.session() as s:
            _lock_folder_numbers(s)
            if s.get(Folder, folder_id) is None:
                s.add(
                    Folder(
                        folder_id=folder_id,
                        id=_next_folder_number(s),
                        title=title,
                        in_manifest=False,
                    )
                )

    def update_folder(self, folder_id: str, **values: Any) -> None:
        with self.session() as s:
            folder = s.get(Folder, folder_id)
            assert folder is not None
            _assign(folder, values)

    def events_of_folder(self, folder_id: str) -> list[Event]:
        with self.session() as s:
            return list(
                s.exec(
                    select(Event)
                    .where(Event.folder_id == folder_id, col(Event.stage) != VIEWED)
                    .order_by(col(Event.id))
                )
            )


@dataclass
class ManifestImport:
    """What a manifest import did, folder id by folder id."""

    added: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)


_FOLDER_FIELDS = (
    "folder_id", "fonds_code", "catalogue_no", "box_no", "folder_no", "title", "start_date",
    "end_date", "retention_years", "access", "sheet_count", "language", "notes",
    "physical_condition", "secrecy",
)  # fmt: skip


def _folder_values(folder: ManifestFolder) -> dict[str, Any]:
    return {name: getattr(folder, name) for name in _FOLDER_FIELDS} | {"in_manifest": True}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _folder_order(folder: Folder) -> tuple[bool, str, str, tuple[int, str], tuple[int, str]]:
    return (
        not folder.in_manifest,
        folder.fonds_code,
        folder.catalogue_no,
        number_key(folder.box_no),
        number_key(folder.folder_no),
    )


def _lock_folder_numbers(s: Session) -> None:
    """Folders are added one transaction at a time, so two processes (workers, a manifest
    import beside a batch) never give two folders the same number or add one folder twice.
    Called first in the transaction: PostgreSQL takes a lock until commit; SQLite's write
    lock is taken now rather than at the first insert, after the reads it depends on."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("select pg_advisory_xact_lock(7251504)"))
    else:
        s.execute(text("begin immediate"))


def _next_folder_number(s: Session) -> int:
    last = s.exec(select(func.max(Folder.id))).one()
    return (last or 0) + 1
