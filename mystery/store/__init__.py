"""Storage: SQLAlchemy Core, SQLite by default, PostgreSQL by URL, Alembic migrations."""
