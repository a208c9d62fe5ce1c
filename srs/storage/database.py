"""The database handle: engine, schema creation and short-lived sessions.

Everything here is synchronous; the asyncio server calls it from a worker thread.  Writes
go through one lock because SQLite has a single writer anyway and a check-then-insert
upsert must not interleave between two threads of this process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool, StaticPool
from sqlmodel import Session, SQLModel, create_engine

from srs.storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)


class Database:
    """One database URL (``sqlite:///var/srs.db``, ``postgresql://…``)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            database = parsed.database
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if not database or database == ":memory:":
                # One shared connection, or every use would see a new empty database.
                kwargs["poolclass"] = StaticPool
            else:
                if not database.startswith("file:"):
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                # Pooled, one checkout at a time: threads never use a connection at once.
                # Not NullPool: closing the last connection of a WAL database checkpoints
                # it (fsync), and each new connection re-runs the pragmas: per write.
                kwargs["poolclass"] = QueuePool
                kwargs["pool_size"] = 4
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.write_lock = threading.RLock()
        #: The SQLite file, when there is one: pooled connections outlive its deletion.
        self._sqlite_file: Path | None = None
        if self.is_sqlite and parsed.database and not parsed.database.startswith("file:"):
            if parsed.database != ":memory:":
                self._sqlite_file = Path(parsed.database)

    def create_all(self) -> None:
        """Create missing tables (no migrations yet: new columns need a new database)."""
        SQLModel.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        """Drop every srs table (tests against a shared PostgreSQL database)."""
        SQLModel.metadata.drop_all(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """Like :meth:`session`, serialised with every other writer of this process."""
        with self.write_lock, self.session() as session:
            yield session

    def ping(self) -> bool:
        """True when the database answers a trivial query (readiness probe)."""
        if self._sqlite_file is not None and not self._sqlite_file.exists():
            # a pooled connection would still answer, from the deleted file: reconnect
            self.engine.dispose()
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the API read while the recorder writes; foreign keys as on PostgreSQL."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
