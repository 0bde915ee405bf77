"""`mystery web [--host H] [--port P] [--get PATH]`: serve the dashboard, or render one path and exit.

`--port 0` binds a free port; the bound URL is printed on stdout (`serving on http://...`), so
scripts and tests can read it. `--get PATH` (a Datasette habit) sends one request through the app in this
process (over a Unix socket, no port), prints the response body and exits: 0 for success, 2 for a
4xx answer (bad path or parameter), 1 for a server error.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TYPE_CHECKING

import click

from console.commands.context import settings_from
from mystery_core.errors import EXIT_BAD_INPUT, InputError, exit_on_input_error

if TYPE_CHECKING:
    from aiohttp.web import Application


@click.command("web")
@click.option("--host", help="Address to listen on (default: settings web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: settings web.port); 0 picks a free one.")
@click.option("--get", "get_path", metavar="PATH", help="Render PATH (e.g. /api/campaigns) in-process, print it, exit.")
@click.pass_context
@exit_on_input_error
def web(ctx: click.Context, host: str | None, port: int | None, get_path: str | None) -> None:
    """Dashboard of campaigns, calls (timelines, audio, transcripts) and compliance runs."""
    from console.web.access import is_loopback
    from console.web.app import make_app

    settings = settings_from(ctx, **{"web.host": host, "web.port": port})
    if get_path is None and not is_loopback(settings.web.host) and not settings.web.token:
        raise InputError("--host", None, f"{settings.web.host} would serve recordings and phone numbers beyond this "
                                         "machine with no login: set an access token (web.token, or "
                                         "MYSTERY_WEB_TOKEN), or listen on 127.0.0.1")
    app = make_app(settings)
    if get_path is not None:
        if not get_path.startswith("/"):
            raise InputError("--get", None, f"expected a path starting with '/', got {get_path!r}")
        headers = {"Authorization": f"Bearer {settings.web.token}"} if settings.web.token else {}
        status, body = asyncio.run(get_once(app, get_path, headers))
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        if status >= 400:
            print(f"error: GET {get_path}: HTTP {status}", file=sys.stderr)
            sys.exit(EXIT_BAD_INPUT if status < 500 else 1)
        return
    asyncio.run(serve(app, settings.web.host, settings.web.port))


async def get_once(app: Application, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Status and body of GET `path` (redirects followed), over a Unix socket in a temporary
    folder: the request goes through the whole app (router, middleware) and no port is opened."""
    import tempfile

    import aiohttp
    from aiohttp import web as aioweb

    runner = aioweb.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        with tempfile.TemporaryDirectory(prefix="mystery-web-") as folder:
            socket_path = f"{folder}/web.sock"
            await aioweb.UnixSite(runner, socket_path).start()
            connector = aiohttp.UnixConnector(path=socket_path)
            async with aiohttp.ClientSession(connector=connector) as session, \
                    session.get("http://localhost" + path, headers=headers or {}) as response:
                return response.status, await response.read()
    finally:
        await runner.cleanup()


async def serve(app: Application, host: str, port: int) -> None:
    """Listen until SIGINT or SIGTERM; print the bound URL first. Requests are logged (the access log, on
    stderr through the logging the command line set up)."""
    import logging

    from aiohttp import web as aioweb

    logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    runner = aioweb.AppRunner(app)
    await runner.setup()
    site = aioweb.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise InputError("--port", None, f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"serving on http://{shown}:{bound_port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
