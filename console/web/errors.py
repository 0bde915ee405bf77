"""One error middleware: every failure becomes a status with a page (or JSON under /api/).

Views raise `PageError` (or `live.NotFound`) with a message written for the reader; aiohttp's
own 404/405 get a message naming the path; anything unexpected is logged with its traceback
and shown as a 500 without internals.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from console.web.live import NotFound
from mystery_core.errors import InputError

log = logging.getLogger("console.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PageError(Exception):
    """A request the dashboard cannot answer: HTTP status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def error_response(request: web.Request, status: int, message: str) -> web.Response:
    """The error as JSON for API paths, else as an HTML page."""
    if wants_json(request):
        return web.json_response({"error": {"status": status, "message": message}}, status=status)
    from console.web.pages import render_page

    return render_page(request, "error.html.j2", status=status, title=f"{status} {_reason(status)}",
                       message=message)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except PageError as error:
        return error_response(request, error.status, error.message)
    except NotFound as error:
        return error_response(request, 404, str(error))
    except InputError as error:
        return error_response(request, 400, str(error))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        if error.status == 404:
            message = f"no page at {request.path}; see the campaigns at /"
        elif error.status == 405:
            message = f"{request.method} is not allowed on {request.path}"
        else:
            message = error.reason
        return error_response(request, error.status, message)
    except Exception:
        log.exception("error while serving %s", request.path_qs)
        return error_response(request, 500, "the dashboard failed on this page; the server log has the details")
