"""The database: engine, schema creation and sessions.

SQLite in ``<app_data_dir>/history.sqlite3`` by default; PostgreSQL (through psycopg 3)
when ``DATABASE_URL`` is set. Engines and session factories are thread-safe, so one
engine serves every Streamlit session.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.schema import Column, CreateColumn, CreateIndex, CreateTable

from potato_disease.config import Settings

logger = logging.getLogger(__name__)

SQLITE_FILE_NAME = "history.sqlite3"
SQLITE_BUSY_TIMEOUT_SECONDS = 30  # writers queue on SQLite's single write lock
WAL_SWITCH_SECONDS = 10  # how long a new connection keeps asking for WAL mode
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10  # fail with a message instead of hanging the page
POSTGRES_DRIVER = "postgresql+psycopg"
# Any fixed number: every app instance takes the same advisory lock to create tables.
SCHEMA_LOCK_KEY = 7_301_946_215

DatabaseError = SQLAlchemyError
"""What any database call may raise (connection lost, server down, constraint...)."""


class Base(DeclarativeBase):
    """Declarative base of every table the app stores."""


def url_without_secrets(url: URL) -> str:
    """The database address to show or log: its password hidden, also when it is given
    as a query parameter (``?password=...``, ``sslpassword=...``)."""
    query = {key: "***" if "password" in key.lower() else value for key, value in url.query.items()}
    return url.set(query=query).render_as_string(hide_password=True)


def database_url(settings: Settings) -> URL:
    """The URL to connect to: ``settings.database_url``, else the SQLite file."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    return URL.create("sqlite+pysqlite", database=str(settings.app_data_dir / SQLITE_FILE_NAME))


def normalise_url(url: str) -> URL:
    """Parse a URL, sending ``postgres://`` and ``postgresql://`` to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
    return parsed


def storage_description(settings: Settings) -> str:
    """Where the history lives, in words for the people using it (no host or password)."""
    if database_url(settings).get_backend_name() == "sqlite":
        return (
            "a SQLite file on this server: kept across restarts, but not shared with other "
            "servers of this app, and lost if the server is replaced (an operator can set "
            "DATABASE_URL to a PostgreSQL database to share and keep it)"
        )
    return "a PostgreSQL database shared by every server of this app"


def make_engine(settings: Settings) -> Engine:
    """A pooled, thread-safe engine for the configured database."""
    url = database_url(settings)
    # hide_parameters: notes and field names never reach exception messages or logs.
    options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        }
    elif url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        options["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    logger.info("Using database %s", url_without_secrets(engine.url))
    return engine


def _set_sqlite_pragmas(connection: sqlite3.Connection, _record: object) -> None:
    # SQLite's own lower() folds A-Z only; PostgreSQL's folds every letter ("Ébène").
    connection.create_function("lower", 1, _lower, deterministic=True)
    # WAL lets readers carry on while one session writes; SQLite leaves foreign keys off.
    cursor = connection.cursor()
    try:
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _lower(value: object) -> object:
    """SQL lower() for SQLite connections: every letter, as Python and PostgreSQL fold them."""
    return value.lower() if isinstance(value, str) else value


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the database file to WAL mode (it stays so once switched).

    The switch needs the file to itself, and SQLite answers "database is locked" at
    once, not after its busy timeout, while other new connections hold it: several
    app instances starting together on a fresh file did. Ask again for a while; if it
    never succeeds, carry on in the default journal mode, which is slower, not wrong.
    """
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            mode = "locked"
        if mode in ("wal", "memory"):  # an in-memory database has no WAL
            return
        if time.monotonic() > deadline:
            logger.warning("SQLite stays in %s journal mode: switching to WAL kept failing", mode)
            return
        time.sleep(0.05)


def init_db(engine: Engine) -> None:
    """Create the tables and the optional columns that are missing; idempotent and safe
    from concurrent instances."""
    # Registers the tables on ``Base.metadata`` (imported here: they import Base).
    from potato_disease import alert_log, history  # noqa: F401

    with engine.begin() as connection:
        _lock_schema(connection)
        for table in Base.metadata.sorted_tables:
            connection.execute(CreateTable(table, if_not_exists=True))
    for table in Base.metadata.sorted_tables:
        _add_missing_columns(engine, table)
        _never_reuse_ids(engine, table)
    # After the columns: an index may be on a column an older database has just gained.
    with engine.begin() as connection:
        _lock_schema(connection)
        for table in Base.metadata.sorted_tables:
            for index in sorted(table.indexes, key=lambda index: str(index.name)):
                connection.execute(CreateIndex(index, if_not_exists=True))


def _lock_schema(connection: Connection) -> None:
    """Hold the schema lock until the transaction ends, so that instances starting
    together change the schema one after another.

    PostgreSQL: ``IF NOT EXISTS`` alone still races in its catalog, so an advisory lock.
    SQLite: Python's driver runs each DDL statement in a transaction of its own, so one
    instance could see a column another had added and create an index on a second
    column that was not there yet; ``BEGIN IMMEDIATE`` takes the write lock (waiting up
    to the busy timeout) and keeps the statements after it in one transaction.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _add_missing_columns(engine: Engine, table: Table) -> None:
    """Add the columns of ``table`` that a database made by an earlier version lacks.

    The schema has only grown by optional (nullable) columns, which ``ALTER TABLE ... ADD
    COLUMN`` adds on SQLite and PostgreSQL alike, leaving them empty on old rows. A
    required column would need a real migration, so it stops the app with a message.
    """
    with engine.begin() as connection:
        _lock_schema(connection)
        present = {column["name"] for column in inspect(connection).get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                _add_column(connection, column)


def _never_reuse_ids(engine: Engine, table: Table) -> None:
    """On SQLite, give a table that asks for it (``sqlite_autoincrement``) but was made
    without, by an earlier version, ids that are never used again.

    Without AUTOINCREMENT, SQLite hands out the largest id plus one, so deleting the
    newest case gave its number to the next, and an alert or a report citing "case #10"
    could come to mean another case. SQLite cannot add the keyword to a table, so the
    table is made anew and its rows copied, ids and all, in one transaction (indexes
    are made again afterwards by :func:`init_db`). PostgreSQL sequences never go back.
    """
    if engine.dialect.name != "sqlite" or not table.kwargs.get("sqlite_autoincrement"):
        return
    with engine.begin() as connection:
        _lock_schema(connection)
        made_as = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": table.name},
        ).scalar_one()
        if "AUTOINCREMENT" in made_as.upper():
            return
        preparer = connection.dialect.identifier_preparer
        name, old = preparer.format_table(table), preparer.quote(f"{table.name}_before_rebuild")
        columns = ", ".join(preparer.format_column(column) for column in table.columns)
        connection.exec_driver_sql(f"ALTER TABLE {name} RENAME TO {old}")
        connection.execute(CreateTable(table))
        connection.exec_driver_sql(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {old}")
        connection.exec_driver_sql(f"DROP TABLE {old}")
    logger.info("Remade the table %s so that its ids are never used again", table.name)


def _add_column(connection: Connection, column: Column[Any]) -> None:
    if not column.nullable:
        raise RuntimeError(
            f"The database lacks the required column {column.table.name}.{column.name}: "
            "it needs a migration this version cannot make."
        )
    table = connection.dialect.identifier_preparer.format_table(column.table)
    definition = CreateColumn(column).compile(dialect=connection.dialect)
    connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {definition}"))
    logger.info("Added the column %s.%s to the database", column.table.name, column.name)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
