"""Quality figures broken down by who and what produced the pages: rejects and rescans per
operator, profile and scanning station; the OCR confidence of the pages read."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import col

from station.store.models import Batch, Page
from station.store.stats import StatsQueries

CONFIDENCE_BUCKET = 10  # OCR confidence 0-100 in tens: 0-9.9, 10-19.9, ... 90-100


class QualityQueries(StatsQueries):
    """Aggregates over the few rejected pages (an index on the decision) and over the OCR
    confidence of every page read (one grouped scan)."""

    def stats_rejects_by_source(
        self, since: date | None, until: date | None, fonds: str | None, profile: str | None
    ) -> list[dict[str, Any]]:
        """Rejected pages and those of them rescanned, per operator, profile, station and
        reason: which hands, settings or scanner cost the most rescans."""
        q = (
            sa_select(
                col(Batch.operator),
                col(Batch.profile),
                col(Batch.station_name),
                col(Page.reason),
                func.count(col(Page.id)).label("rejects"),
                func.count(col(Page.replaced_by)).label("rescanned"),
            )
            .where(col(Page.decision) == "reject")
            .group_by(
                col(Batch.operator), col(Batch.profile), col(Batch.station_name), col(Page.reason)
            )
        )
        q = self._filter(q, col(Batch.started_at), since, until, fonds, profile, join_batch=True)
        with self.session() as s:
            return [dict(r._mapping) for r in s.execute(q).all()]

    def stats_ocr_confidence(
        self, since: date | None, until: date | None, fonds: str | None, profile: str | None
    ) -> dict[int, int]:
        """Pages read, by OCR mean confidence in buckets of ten (blank pages are not read)."""
        confidence = col(Page.ocr_confidence)
        # CASE, not a cast: PostgreSQL rounds a float to an integer where SQLite truncates.
        bucket = case(
            *((confidence < low + CONFIDENCE_BUCKET, low) for low in range(0, 90, 10)), else_=90
        )
        q = (
            sa_select(bucket.label("bucket"), func.count(col(Page.id)))
            .where(col(Page.state) == "ok", col(Page.ocr_confidence).is_not(None))
            .group_by(bucket)
        )
        if since or until or fonds or profile:
            q = self._filter(
                q, col(Batch.started_at), since, until, fonds, profile, join_batch=True
            )
        with self.session() as s:
            return {int(low): int(pages) for low, pages in s.execute(q).all()}
