"""Page images by page id, never by path: a request can name a page, not a file.

The file behind an id comes from the database and must lie inside the data directory;
anything else is a 404, as is a page above the user's clearance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from qa.security import CurrentUser, settings_of, store_of
from station.errors import NotFoundError
from station.i18n import N_, _
from station.pipeline import imaging
from station.review import rules
from station.store import Page, Store

router = APIRouter(prefix="/images", tags=["images"])

ORIGINAL_LONG_SIDE = 2600  # pixels: enough to read any A4 detail at 300 dpi, ~1 MB of JPEG
CACHE = "private, max-age=3600"  # the URL changes (?v=turn) when the picture does


@router.get(
    "/pages/{id}/{kind}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"description": "No such image"}},
    summary="A page as the reviewer sees it: thumbnail, preview, or the original scan",
)
async def page_image(
    request: Request,
    user: CurrentUser,
    id: Annotated[int, PathParam(ge=1, le=2**62)],
    kind: Literal["thumbnail", "preview", "original"],
) -> Response:
    rules.require_role(user, "operator", N_("seeing pages"))
    store = store_of(request)
    page, _ignored = rules.find_page(store, user, id)
    if user.role == "operator" and not _operator_may_see(store, user.username, page):
        raise NotFoundError(_("No page %(id)s", id=id))
    if kind != "thumbnail":  # a grid's tiles are not a page looked at
        store.record_view(user.username, page_id=page.id, batch_id=page.batch_id, what=kind)
    data_dir = settings_of(request).data_dir.resolve()
    if kind == "original":
        master = _inside(Path(page.master_path), data_dir, page)
        jpeg = await run_in_threadpool(
            imaging.web_image, master, page_index=page.page_index, long_side=ORIGINAL_LONG_SIDE
        )
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": CACHE})
    derivative = page.derivatives.get(kind) or page.derivatives.get("thumbnail")
    if not derivative:
        raise NotFoundError(
            _("Page %(id)s has no %(kind)s image (it failed before one was made)", id=id, kind=kind)
        )
    path = _inside(Path(derivative), data_dir, page)
    if page.turn % 360 == 0:
        return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": CACHE})
    jpeg = await run_in_threadpool(imaging.web_image, path, turn=page.turn)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": CACHE})


def _operator_may_see(store: Store, username: str, page: Page) -> bool:
    """Operators see the pages they fed and the pages waiting for a rescan, nothing else."""
    if page.decision == "reject" and page.replaced_by is None:
        return True
    return store.batch_operators({page.batch_id}).get(page.batch_id) == username


def _inside(path: Path, data_dir: Path, page: Page) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(data_dir) or not resolved.is_file():
        raise NotFoundError(_("The image of page %(id)s is not in the data directory", id=page.id))
    return resolved
