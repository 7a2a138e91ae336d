"""SQLAlchemy 2 engine and sessions.

One session per request (or CLI command), created lazily by :func:`session` and closed at the end
of the app context; views commit once, services only flush.

SQLite: foreign keys on, WAL journal, and every transaction starts with ``BEGIN IMMEDIATE`` so that
two concurrent writers queue on the database lock instead of one failing on a stale snapshot
(this serialises writes, which is what an embedded database does anyway). PostgreSQL: row locks
(``SELECT ... FOR UPDATE``) and unique constraints serialise the few places that need it.
"""

from __future__ import annotations

import enum
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, Enum, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN is deferred and too late).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url: str, *, info: dict[str, Any] | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        # ``info`` reaches every session (e.g. the site's signing keys, see governance.signing).
        self.Session = sessionmaker(self.engine, expire_on_commit=False, info=dict(info or {}))

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def create_all(self) -> None:
        import_models()
        Base.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        import_models()
        Base.metadata.drop_all(self.engine)


def import_models() -> None:
    """Import every models module so that Base.metadata knows all tables (Alembic, create_all)."""
    from governance import models_registry  # noqa: F401 - imports for side effects


def init_app(app: Flask) -> Database:
    from governance.signing import SESSION_INFO_KEY, key_store_for

    database = Database(app.config["DATABASE_URL"],
                        info={SESSION_INFO_KEY: key_store_for(app.config, app.instance_path)})
    app.extensions["dataguild_db"] = database

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        sess = g.pop("db_session", None)
        if sess is not None:
            sess.close()  # rolls back anything not committed

    return database


def get_database() -> Database:
    return current_app.extensions["dataguild_db"]


def session() -> Session:
    """The session of the current request / CLI command."""
    if "db_session" not in g:
        g.db_session = get_database().Session()
    return g.db_session


def string_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """An Enum column type stored as VARCHAR + CHECK (not a native PostgreSQL enum): portable, and
    migrations stay simple. The stored values are the members' values."""
    return Enum(enum_cls, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda cls: [m.value for m in cls], validate_strings=True)
