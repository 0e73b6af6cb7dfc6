"""The app's GET forms as typed: dates are text until checked, so a bad one is said (422)
and never silently dropped. Shared by the statistics, audit and search pages."""

from __future__ import annotations

from datetime import date

from station.errors import InvalidInputError
from station.i18n import _


def form_date(value: str, name: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(
            _("%(name)s must be a date as YYYY-MM-DD, not %(value)r", name=name, value=value)
        ) from None


def period(
    start_text: str, end_text: str, start_name: str = "From", end_name: str = "Until"
) -> tuple[date | None, date | None]:
    """Two dates of a form, checked each and together."""
    start, end = form_date(start_text, start_name), form_date(end_text, end_name)
    if start and end and start > end:
        raise InvalidInputError(
            _(
                "The period ends before it starts (%(start_name)s is after %(end_name)s)",
                start_name=start_name,
                end_name=end_name,
            )
        )
    return start, end
