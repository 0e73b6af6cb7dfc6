"""Export versions: which content of a folder was exported as which version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from station.store.base import StoreBase
from station.store.models import ExportVersion


class ExportQueries(StoreBase):
    """Export versions of folders."""

    # --- exports ---

    def export_version(self, folder_id: str, digest: str, by: str) -> tuple[int, datetime]:
        """The version this content of the folder has (a new one the first time it is seen)
        and the date it was first exported."""
        with self.session() as s:
            known = s.exec(
                select(ExportVersion).where(
                    ExportVersion.folder_id == folder_id, ExportVersion.digest == digest
                )
            ).first()
            if known is None:
                last = s.exec(
                    select(func.max(ExportVersion.version)).where(
                        ExportVersion.folder_id == folder_id
                    )
                ).one()
                known = ExportVersion(
                    folder_id=folder_id, digest=digest, version=(last or 0) + 1, created_by=by
                )
                s.add(known)
                s.flush()
            return known.version, known.created_at
