"""Storage of the compliance product (tables, Alembic branch `campaigns`)."""
