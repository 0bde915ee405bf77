"""`make_app(settings)`: the dashboard as an aiohttp Application (routes, error middleware, static)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from console.web import api, views
from console.web.access import login_routes, require_token, security_headers
from console.web.errors import error_pages
from console.web.keys import ENGINE, RECORDINGS
from mystery_core.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"


def make_app(settings: Settings) -> web.Application:
    """Open (and migrate) the store of `settings` and route every page and JSON endpoint."""
    from mystery_core.store.engine import open_store

    guards = [require_token(settings.web.token)] if settings.web.token else []
    app = web.Application(middlewares=[security_headers, error_pages, *guards])
    app[ENGINE] = open_store(settings.database_url)
    app[RECORDINGS] = Path(settings.recordings_dir).resolve()

    async def dispose(app: web.Application) -> None:
        app[ENGINE].dispose()

    app.on_cleanup.append(dispose)
    add = app.router.add_get
    add("/", views.campaigns_page)
    add("/campaigns", views.campaigns_page)
    add("/campaigns/{name}", views.campaign_redirect)
    add("/campaigns/{name}/", views.campaign_page)
    add("/campaigns/{name}/calls.csv", views.campaign_csv)
    add("/calls/{call_key}", views.call_page)
    add("/recordings/{path:.+}", views.recording)
    add("/compliance", compliance_redirect)
    add("/compliance/runs", views.runs_page)
    add("/compliance/runs/{run_id}", views.run_page)
    add("/api/campaigns", api.campaigns)
    add("/api/campaigns/{name}/calls", api.campaign_calls)
    if settings.web.token:
        app.router.add_routes(login_routes(settings.web.token))
    app.router.add_static("/static/", STATIC_DIR)
    return app


async def compliance_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/compliance/runs")
