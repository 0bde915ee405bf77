"""A client that trickles its request headers (slowloris) cannot hold a guard connection open.

aiohttp has no separate header timeout: the guard's keep-alive deadline (KEEPALIVE_S, 30 s in `serve`)
is armed when the connection opens and is not pushed back by bytes of an unfinished request, so a
request whose headers never complete is closed at that deadline. Shown here with a 2 s deadline on a
real guard app served on loopback, passed to aiohttp's runner exactly as `serve` passes KEEPALIVE_S.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

KEY = "test-key-1"


async def test_headers_that_trickle_in_are_cut_off_at_the_keep_alive_deadline(tmp_path: Path) -> None:
    from aiohttp import web

    import campaigns.guard.app as guard_app
    from campaigns.guard.decide import Guard
    from campaigns.model.facts import Facts
    from campaigns.rules.load import load_packs
    from campaigns.rules.select import RuleSet
    from mystery_core.store.engine import open_store

    assert 0 < guard_app.KEEPALIVE_S <= 60      # the production bound this test scales down
    facts = Facts()
    engine = open_store(f"sqlite:///{tmp_path / 'g.db'}")
    app = guard_app.make_app(Guard(RuleSet(load_packs(["fr-2023"]), ["fr-2023"], facts), facts), engine, (KEY,))
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=2.0)   # as `serve` builds it, 2 s for 30
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", runner.addresses[0][1])
        request = f"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nX-Padding: {'a' * 200}\r\n".encode()
        started, sent, closed = time.monotonic(), 0, False
        while time.monotonic() - started < 10:
            try:
                chunk = await asyncio.wait_for(reader.read(1024), 0.25)
            except TimeoutError:
                writer.write(request[sent:sent + 1])     # one more header byte every 0.25 s, never the blank line
                sent += 1
                try:
                    await writer.drain()
                except ConnectionError:
                    closed = True
                    break
                continue
            assert b"" == chunk, chunk                   # no response: the request never completed
            closed = True
            break
        waited = time.monotonic() - started
        writer.close()
    finally:
        await runner.cleanup()
        engine.dispose()
    assert closed and 1.5 <= waited < 4, (closed, waited, sent)
    assert sent < len(request)
