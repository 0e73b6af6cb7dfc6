"""Log-in sessions and CSRF: who is asking, and whether a change really comes from our pages.

- `POST /login` checks the Argon2 hash; after `login_attempts` failures in a row the account
  is locked for `lockout_minutes` (even the right password is refused meanwhile).
- The session cookie holds a random token; the database keeps only its SHA-256, so a copy
  of the database opens no session. HttpOnly, SameSite=Lax.
- Every state-changing request carries the CSRF token, in the `X-CSRF-Token` header (API,
  fetch) or the `csrf_token` form field (forms); it must equal the `csrftoken` cookie and
  the token stored with the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request, Response

from station import auth
from station.errors import NotAllowedError, NotLoggedInError
from station.i18n import _
from station.settings import StationSettings
from station.store import LoginSession, Store, User, utcnow

SESSION_COOKIE = "station_session"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

# Verified against when the username is unknown, so that a wrong name costs as long as a
# wrong password and answers the same: names cannot be guessed from the timing.
_DUMMY_HASH = auth.hash_password("station-dummy-password")


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> StationSettings:
    settings: StationSettings = request.app.state.settings
    return settings


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(store: Store, settings: StationSettings, username: str, password: str) -> User:
    """The user, or NotLoggedInError / NotAllowedError (locked) with a sentence to show."""
    user = store.get_user(username)
    if user is None or user.disabled:
        auth.verify_password(_DUMMY_HASH, password)
        raise NotLoggedInError(_("Wrong username or password"))
    if user.locked_until is not None and _aware(user.locked_until) > utcnow():
        raise NotAllowedError(
            _(
                "Too many failed log-ins: the account is locked until %(aware)s UTC",
                aware=f"{_aware(user.locked_until):%H:%M}",
            )
        )
    ok = auth.verify_password(user.password_hash, password)
    recorded = store.record_login(
        username,
        ok=ok,
        lock_after=settings.login_attempts,
        lock_for=timedelta(minutes=settings.lockout_minutes),
    )
    if not ok:
        if recorded is not None and recorded.locked_until is not None:
            raise NotAllowedError(
                _(
                    "Too many failed log-ins: the account is locked for %(lockout_minutes)s "
                    "minutes",
                    lockout_minutes=f"{settings.lockout_minutes:g}",
                )
            )
        raise NotLoggedInError(_("Wrong username or password"))
    return user


def start_session(store: Store, settings: StationSettings, user: User, response: Response) -> str:
    """Open a session for the user, set both cookies, and return the CSRF token."""
    assert user.id is not None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    lifetime = timedelta(hours=settings.session_hours)
    store.add_login_session(
        LoginSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + lifetime,
        )
    )
    seconds = int(lifetime.total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=seconds,
        httponly=False,  # page scripts copy it into the X-CSRF-Token header
        samesite="strict",
        secure=settings.secure_cookies,
    )
    return csrf


def end_session(request: Request, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        store_of(request).end_login_session(_token_hash(token))
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


def _aware(moment: datetime) -> datetime:
    """SQLite gives datetimes back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def find_login(store: Store, token: str | None) -> tuple[LoginSession, User] | None:
    """The session a cookie's token opens (and its user), unchecked: see `_session`."""
    return store.login_session(_token_hash(token)) if token else None


def _session(request: Request) -> tuple[LoginSession, User]:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotLoggedInError(_("Log in first"))
    # The language middleware (qa.app) has looked the session up already, once per request.
    found = getattr(request.state, "login", None) or find_login(store_of(request), token)
    if found is None:
        raise NotLoggedInError(_("Your session has ended; log in again"))
    session, user = found
    if _aware(session.expires_at) <= utcnow():
        store_of(request).end_login_session(session.token_hash)
        raise NotLoggedInError(_("Your session has expired; log in again"))
    if user.disabled:
        raise NotLoggedInError(_("The account %(username)r is disabled", username=user.username))
    return session, user


def current_user(request: Request) -> User:
    """The logged-in user (401 otherwise); the CSRF token is kept for templates."""
    session, user = _session(request)
    request.state.csrf_token = session.csrf_token
    request.state.user = user
    return user


async def checked_user(request: Request) -> User:
    """The logged-in user of a state-changing request whose CSRF token matches (403 if not)."""
    session, user = _session(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not (_same(sent, cookie) and _same(sent, session.csrf_token)):
        raise NotAllowedError(
            _(
                "Missing or wrong CSRF token: send the %(csrf_cookie)s cookie's value in the "
                "%(csrf_header)s header (or the %(csrf_field)s form field)",
                csrf_cookie=CSRF_COOKIE,
                csrf_header=CSRF_HEADER,
                csrf_field=CSRF_FIELD,
            )
        )
    request.state.csrf_token = session.csrf_token
    request.state.user = user
    return user


def _same(sent: str, expected: str) -> bool:
    """Constant-time comparison, as bytes: `hmac.compare_digest` refuses strings with
    non-ASCII letters (a header or form field anyone can send), which was a 500."""
    return hmac.compare_digest(
        sent.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


CurrentUser = Annotated[User, Depends(current_user)]
CheckedUser = Annotated[User, Depends(checked_user)]
