"""The review web app: FastAPI, server-rendered pages, a JSON API, images by id.

`create_app(settings)` builds it; `station serve` runs it with uvicorn (and, in the embedded
default, the hot-folder watcher beside it). The app only reads and writes through
`station.store` and decides through `station.review.rules`; it is never imported by station.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from qa import security
from station import __version__, i18n
from station.errors import NotLoggedInError, StationError
from station.settings import StationSettings
from station.store import Store

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
)
templates.env.globals["language"] = i18n.current
templates.env.globals["script_messages"] = lambda: i18n.script_messages(i18n.current())
log = logging.getLogger(__name__)


class LanguageMiddleware:
    """Every request answers in one language: the logged-in user's setting, else the
    browser's Accept-Language, else STATION_LANGUAGE (station.i18n.negotiate).

    Pure ASGI, around the routes: the language is set in this task's context before any
    dependency or handler runs, so pages, flash messages, API error details and the error
    handlers all see it. The session it looks up is kept for `qa.security` (one query a
    request, as before).
    """

    def __init__(self, app: ASGIApp, store: Store, default: str) -> None:
        self.app, self.store, self.default = app, store, default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = request.cookies.get(security.SESSION_COOKIE)
        login = await run_in_threadpool(security.find_login, self.store, token) if token else None
        request.state.login = login
        chosen = login[1].language if login is not None else None
        language = i18n.negotiate(chosen, request.headers.get("accept-language"), self.default)
        request.state.language = language
        with i18n.use(language):
            await self.app(scope, receive, send)


def create_app(settings: StationSettings) -> FastAPI:
    from qa import api, audit, images, report, search, stats, views

    app = FastAPI(
        title="station review",
        version=__version__,
        summary="Review scanned folders: decide pages, send pages back for rescan, "
        "approve folders for export.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.store = Store.open(settings.database_url)
    app.add_middleware(GZipMiddleware, minimum_size=2000)  # a 1,000-page grid is 400 KiB of HTML
    app.add_middleware(LanguageMiddleware, store=app.state.store, default=settings.language)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(images.router)
    app.include_router(views.router)
    app.include_router(stats.router)
    app.include_router(report.router)
    app.include_router(audit.router)
    app.include_router(search.router)
    app.add_exception_handler(StationError, _station_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    return app


def tune_gc_for_serving() -> None:
    """Once the app is built, for a long-running server: collect garbage less often.

    CPython's default (a young collection every 700 new objects, a full one every 100 of
    those) suits small scripts: a folder view of 1,000 pages makes 45 young collections and,
    every third view or so, a full one over the whole heap, which can cost as much as the
    view itself (bench/review.py). Freezing what start-up built (modules, routes, templates:
    ~150,000 objects that live as long as the process) keeps it out of every collection;
    young collections every 10,000 objects make them rarer, while full ones still come
    every 100 young ones, so memory stays bounded (20 MB more, measured). Not in
    create_app: tests build many apps in one process, and frozen objects are never
    collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def error_body(code: str, message: str) -> dict[str, str]:
    """The one shape of every API error: a stable code and a sentence for people."""
    return {"error": code, "detail": message}


async def _station_error(request: Request, exc: StationError) -> Response:
    """The domain's errors, mapped once: JSON for the API, a page (or the log-in) for people."""
    if exc.http_status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
    if wants_json(request):
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.http_status)
    if isinstance(exc, NotLoggedInError) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": exc.http_status, "message": exc.message, "user": _user(request)},
        status_code=exc.http_status,
    )


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
# Starlette's own phrases, translated for the request's language.
_HTTP_PHRASES = {i18n.N_("Not Found"), i18n.N_("Method Not Allowed")}


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """Starlette's own errors (no such route, a body that is not UTF-8) in the API's one
    error shape; the pages keep FastAPI's default answer."""
    if not wants_json(request):
        return await http_exception_handler(request, exc)
    detail = str(exc.detail)
    detail = i18n.gettext(detail) if detail in _HTTP_PHRASES else detail
    return JSONResponse(
        error_body(_HTTP_CODES.get(exc.status_code, "http_error"), detail),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error['loc'] if p != 'body')}: {error['msg']}"
        for error in exc.errors()
    )
    message = i18n.gettext("Invalid request: %(problems)s", problems=problems)
    if wants_json(request):
        body = error_body("invalid_input", message) | {"problems": exc.errors()}
        return JSONResponse(_json_safe(body), status_code=422)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": 422, "message": message, "user": _user(request)},
        status_code=422,
    )


def _json_safe(value: object) -> object:
    import json

    return json.loads(json.dumps(value, default=str))


def _user(request: Request) -> object:
    return getattr(request.state, "user", None)
