"""The review pages people use: log-in, queue, folder, page, rescan list, history."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qa import security
from qa.app import templates
from qa.security import CheckedUser, settings_of, store_of
from station.errors import NotAllowedError, NotLoggedInError

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only paths on this site: a log-in link cannot send people elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"next": _safe_next(next), "error": None, "user": None}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    store, settings = store_of(request), settings_of(request)
    try:
        user = security.log_in(store, settings, username.strip(), password)
    except (NotLoggedInError, NotAllowedError) as exc:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": _safe_next(next), "error": exc.message, "user": None, "username": username},
            status_code=exc.http_status,
        )
    target = _safe_next(next)
    if target == "/" and user.role == "operator":
        target = "/rescan"
    response = RedirectResponse(target, status_code=303)
    security.start_session(store, settings, user, response)
    return response


@router.post("/logout")
def logout(request: Request, user: CheckedUser) -> Response:
    response = RedirectResponse("/login", status_code=303)
    security.end_session(request, response)
    return response
