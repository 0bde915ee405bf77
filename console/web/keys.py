"""Typed keys of what the application holds: the store engine and the recordings folder."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from mystery_core.store.engine import Engine

ENGINE = web.AppKey("engine", Engine)
RECORDINGS = web.AppKey("recordings_dir", Path)
