"""Who may see the dashboard, and how its pages defend themselves in a browser.

Recordings, transcripts and phone numbers are personal data. On loopback the dashboard is the
operator's own; beyond it (`--host 0.0.0.0`) it serves only with an access token (`web.token`), sent
as `Authorization: Bearer TOKEN` by scripts or, for a person, entered once on /login, which sets a
session cookie (HttpOnly, SameSite=Strict) holding a keyed hash of the token, never the token.
User accounts will follow; this is the shared-secret step before them.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
COOKIE = "mystery_session"
OPEN_PATHS = ("/login", "/static/")

# No script runs on these pages; styles are inline in the report; audio and charts come from here.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; media-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps the dashboard on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def session_value(token: str) -> str:
    """The cookie value of a session opened with `token`: a keyed hash, so the cookie is not the token."""
    return hmac.new(token.encode(), b"mystery dashboard session", hashlib.sha256).hexdigest()


def has_access(request: web.Request, token: str) -> bool:
    """A bearer token, or the session cookie that /login set, matching `token` (compared in constant time)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), session_value(token).encode())


def require_token(token: str) -> Middleware:
    """Middleware: every request but the login page and static files needs the token."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(OPEN_PATHS) or has_access(request, token):
            return await handler(request)
        if request.path.startswith("/api/"):
            return web.json_response({"error": {"status": 401, "message": "send Authorization: Bearer TOKEN"}},
                                     status=401, headers={"WWW-Authenticate": "Bearer"})
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")

    return middleware


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The headers that keep a page from being framed, sniffed, leaked by referrer or running scripts."""
    try:
        response = await handler(request)
    except web.HTTPException as error:  # redirects and aiohttp's own errors get them too
        error.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


def login_routes(token: str) -> list[web.RouteDef]:
    """GET /login (a form) and POST /login (checks the token, sets the session cookie, goes to `next`)."""
    from console.web.pages import render_page

    def safe_next(raw: str) -> str:
        return raw if raw.startswith("/") and not raw.startswith("//") else "/"

    async def form(request: web.Request) -> web.Response:
        return render_page(request, "login.html.j2", title="Sign in", next=safe_next(request.query.get("next", "/")),
                           failed=False)

    async def submit(request: web.Request) -> web.Response:
        data = await request.post()
        given = str(data.get("token", ""))
        target = safe_next(str(data.get("next", "/")))
        if not hmac.compare_digest(given.encode(), token.encode()):
            return render_page(request, "login.html.j2", status=403, title="Sign in", next=target, failed=True)
        response = web.HTTPSeeOther(target)
        response.set_cookie(COOKIE, session_value(token), httponly=True, samesite="Strict", path="/",
                            secure=request.secure)
        raise response

    return [web.get("/login", form), web.post("/login", submit)]
