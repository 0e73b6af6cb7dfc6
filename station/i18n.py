"""The interface in Vietnamese and English: gettext catalogs through Babel.

English is the source language: a message's id is its English text, marked `_("…")` in
Python (`N_("…")` where a constant is defined and translated later), `{{ _("…") }}` in the
templates and `_("…")` in `qa/static/*.js`. `scripts/i18n` extracts them (babel.cfg) and
merges them into `station/locale/vi/LC_MESSAGES/messages.po`, where the Vietnamese is
written; tests/test_i18n.py fails while a marked string has no Vietnamese. The .po is
compiled in memory at first use, so there is no .mo to go stale.

Which language: the one `use()` set for this request (the review app: the user's setting,
then the browser's Accept-Language, then STATION_LANGUAGE), else the process default that
`activate()` set (the CLI and the workers: STATION_LANGUAGE), else English. Placeholders are
`%(name)s`, filled from keyword arguments after translation, as Jinja's `_()` does.
"""

from __future__ import annotations

import functools
import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("en", "vi")
DEFAULT = "en"
NAMES = {"en": "English", "vi": "Tiếng Việt"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current: ContextVar[str | None] = ContextVar("station_language", default=None)
_process_default = DEFAULT


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The language's messages; English (the ids themselves) for any other."""
    if language == DEFAULT or language not in LANGUAGES:
        return _gettext.NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


@functools.cache
def script_messages(language: str) -> dict[str, str]:
    """The translations the page scripts need (messages found in qa/static/*.js)."""
    if language == DEFAULT or language not in LANGUAGES:
        return {}
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id
        and message.string
        and not message.fuzzy
        and any(place.endswith(".js") for place, _ in message.locations)
    }


def current() -> str:
    return _current.get() or _process_default


def activate(language: str) -> None:
    """The process's language where no request chose one (the CLI, the page workers)."""
    global _process_default
    _process_default = language if language in LANGUAGES else DEFAULT


@contextmanager
def use(language: str) -> Iterator[None]:
    """This context's language (one request, one task): `_()` answers in it."""
    token = _current.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, /, **params: Any) -> str:
    """`message` in the current language, its `%(name)s` filled from `params`."""
    text = translations(current()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, num: int, /, **params: Any) -> str:
    """The form for `num` (Vietnamese has one), with `%(num)s` and `params` filled."""
    text = translations(current()).ngettext(singular, plural, num)
    return text % ({"num": num} | params)


def N_(message: str) -> str:
    """Marks a constant for extraction; it is translated where it is shown, with `_()`."""
    return message


_ = gettext


def negotiate(user_language: str | None, accept_language: str | None, default: str) -> str:
    """The user's own setting, else the first language the browser accepts that we have,
    else the station's default (STATION_LANGUAGE)."""
    if user_language in LANGUAGES:
        return user_language
    for wanted in accepted(accept_language or ""):
        if wanted in LANGUAGES:
            return wanted
    return default if default in LANGUAGES else DEFAULT


def accepted(header: str) -> list[str]:
    """The primary language tags of an Accept-Language header, most wanted first
    ("vi-VN,vi;q=0.9,en;q=0.5" → vi, vi, en); q=0 means "not this one"."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _sep, rest = part.strip().partition(";")
        quality = 1.0
        for param in rest.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary and quality > 0:
            ranked.append((-quality, index, primary))
    return [tag for _q, _i, tag in sorted(ranked)]
