"""mystery: procrastinate's job tables on PostgreSQL (the queue that shares a campaign between dialer hosts).

Applied from procrastinate's own schema.sql (the version pinned in pyproject.toml), in the schema of the
connection's search_path; nothing on SQLite, where one runner dials a campaign and no queue is needed.

Revision ID: m0005
"""

from alembic import op

revision = "m0005"
down_revision = "m0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    # through the driver, without parameters: the SQL holds `%` and `:name` that neither psycopg nor
    # SQLAlchemy may read as placeholders; same transaction as the rest of the migration
    with bind.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    with bind.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute("""
            DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
                procrastinate_workers, procrastinate_version CASCADE;
            DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type,
                procrastinate_job_to_defer_v1 CASCADE;
            DO $$ DECLARE f record; BEGIN
                FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                         WHERE p.proname LIKE 'procrastinate\\_%' AND p.pronamespace = current_schema()::regnamespace
                LOOP EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE'; END LOOP;
            END $$;
        """)
