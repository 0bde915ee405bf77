"""Engines and migrations. One code path for SQLite and PostgreSQL: only the URL differs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from mystery_core import jsontext
from mystery_core.store.locks import locked_connection

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["Engine", "inserted_id", "make_engine", "migrate", "normalize_url", "open_store", "version_locations"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Each product declares the folder of its Alembic branch under this entry-point group (pyproject.toml),
# so the core runs every branch's migrations without importing either product's code.
VERSIONS_ENTRY_POINTS = "mystery_core.migrations"

def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the psycopg 3 driver we ship."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key a single-row INSERT produced."""
    key = result.inserted_primary_key
    if key is None:
        raise TypeError("the statement inserted no row with a primary key")
    return int(key[0])


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their folder created, foreign keys and WAL."""
    url = normalize_url(url)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, json_serializer=jsontext.dumps)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

    return engine


def version_locations() -> list[Path]:
    """The Alembic version folders of every installed product, in entry-point name order.

    Found from the top-level package's spec without importing anything, so that opening the store
    from `campaigns` does not load the `mystery` package (and the other way round).
    """
    from importlib.metadata import entry_points
    from importlib.util import find_spec

    locations: list[Path] = []
    for point in sorted(entry_points(group=VERSIONS_ENTRY_POINTS), key=lambda p: p.name):
        top, *rest = point.value.split(".")
        spec = find_spec(top)
        for folder in (spec.submodule_search_locations or []) if spec is not None else []:
            path = Path(folder).joinpath(*rest)
            if path.is_dir():
                locations.append(path)
    return locations


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_locations", " ".join(str(p) for p in version_locations()))
    config.set_main_option("path_separator", "space")
    return config


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema of both products (`alembic upgrade heads`)."""
    from alembic import command

    config = _alembic_config(engine)
    # Several processes (guards on several hosts) may open one fresh database at once: the first to take the
    # lock migrates, the others wait and then find nothing left to do.
    with engine.connect() as connection, locked_connection(connection, "mystery_core.migrate") as locked:
        config.attributes["connection"] = locked
        command.upgrade(config, "heads")


def open_store(url: str) -> Engine:
    """make_engine + migrate: what every command that touches the store starts with."""
    engine = make_engine(url)
    migrate(engine)
    return engine
