"""Alembic revisions of the `campaigns` branch (a package so that installs ship them)."""
