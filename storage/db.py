"""Engine, sessions and migrations, built from DATABASE_URL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.engine import URL

from storage.migrations import VERSION, head_revisions

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = VERSION  # alembic's default, which env.py keeps
DEFAULT_SQLITE_PATH = Path("data") / "bridgebot.db"
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
# SQLite's page cache per connection, at most (it grows only as pages are read or written). Its default, 2 MB,
# is less than a planning round's transaction touches: thousands of outbox rows and their three indexes, whose
# pages were then evicted and read back for every few rows (writing 20,000 rows cost about 40% more CPU).
SQLITE_CACHE_KIB = 16 * 1024


def normalize_url(raw: str | None) -> URL:
    """Default to an SQLite file under ./data; use psycopg 3 for plain postgresql:// URLs."""
    if not raw:
        return make_url(f"sqlite:///{DEFAULT_SQLITE_PATH}")
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def create_engine_for(raw_url: str | None, **engine_options: Any) -> Engine:
    """The engine for DATABASE_URL. Its errors never quote a statement's parameters (people's text) into a log:
    `hide_parameters` keeps SQLAlchemy from adding them, and the driver's own message is not logged either."""
    url = normalize_url(raw_url)
    engine_options.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, **engine_options)
    # A database that silently drops packets must not hang start-up, /healthz or acknowledgements.
    connect_args = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS, **engine_options.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **engine_options)


def _create_sqlite_engine(url: URL, **engine_options: Any) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **engine_options)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # The ORM is imported here, not above: migrating (`python -m bot db upgrade`, the start's child process) needs
    # only the engine, and the ORM is a tenth of a second of that process's start.
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (idempotent; run at every start).

    Alembic is imported only when a migration is pending: once imported and run, it stays in the process for
    good (some 6 MB with the migrations it loads; 11 where Pygments is installed, as Mako then imports it)."""
    if not migrations_pending(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def migrations_pending(engine: Engine) -> bool:
    """Whether the database is not at the head of versions/ (new, behind, or from a later release), read from
    alembic's version table without importing alembic. When in doubt, True: alembic then decides."""
    heads = head_revisions()
    if heads is None:
        return True
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return True
        applied = set(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))
    return applied != heads


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
