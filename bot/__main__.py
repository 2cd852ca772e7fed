"""`python -m bot` (or `bridgebot`): run the bot, or an admin subcommand."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from bot import logs
from bot.config import ConfigError, Settings, database_url_from, load_environment, settings_from

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

log = logging.getLogger("bot")

POLL_SECONDS = 0.2
STARTUP_LOCK_KEY = 0x62726964  # "brid": the PostgreSQL advisory lock replicas take turns on while starting
MIGRATE_COMMAND = ("db", "upgrade")  # what the bot runs as a child process when migrations are pending


class MigrationFailed(Exception):
    pass


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m bot",
        description="Bridgebot keeps marketing and IT in contact. With no command it runs the bot: Socket Mode "
        "when SLACK_APP_TOKEN is set, otherwise HTTP on $PORT at /slack/events.",
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the bot (the default)")
    database = commands.add_parser("db", help="database administration")
    database.add_argument("action", choices=["upgrade"], help="upgrade: apply pending migrations")
    glossary = commands.add_parser("glossary", help="import or export the glossary as CSV")
    glossary.add_argument("action", choices=["import", "export"])
    glossary.add_argument("file", type=Path, help="the CSV file to read or write")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if args.command == "db":
            return upgrade_database()
        if args.command == "glossary":
            return glossary_import(args.file) if args.action == "import" else glossary_export(args.file)
        return run()
    except (ConfigError, MigrationFailed) as error:
        return fail(str(error))
    except OperationalError as error:
        return fail(f"cannot reach the database at DATABASE_URL ({_shown_database_url()}): {_first_line(error)}")
    except OSError as error:
        return fail(f"{error.strerror or error}: {getattr(error, 'filename', '') or 'check PORT and file paths'}")


def _shown_database_url() -> str:
    """DATABASE_URL as configured, password hidden; the default when unset."""
    raw = load_environment().get("DATABASE_URL", "").strip()
    if not raw:
        return "unset, so sqlite:///data/bridgebot.db"
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        return "malformed"


def _first_line(error: OperationalError) -> str:
    lines = str(error.orig or error).strip().splitlines()
    return lines[0] if lines else type(error.orig or error).__name__


def fail(message: str) -> int:
    print(f"bridgebot: {message}", file=sys.stderr)
    return 2


def _offline_services() -> Services:
    """Services for admin commands: the database only, no Slack tokens needed."""
    from bot.app import build_services

    database_url = database_url_from(load_environment())
    return build_services(Settings(bot_token="xoxb-offline", signing_secret="", database_url=database_url))


def upgrade_database() -> int:
    """Apply pending migrations; replicas starting meanwhile wait (the bot runs this as a child process)."""
    from storage import db

    database_url = database_url_from(load_environment())
    with one_replica_starting_at_a_time(database_url):
        engine = _engine_for(database_url)
        try:
            db.upgrade(engine)
        finally:
            engine.dispose()
    print("database is up to date")
    return 0


def glossary_import(file: Path) -> int:
    from bot.glossary_csv import GlossaryCsvError

    services = _offline_services()
    try:
        added, replaced = services.glossary.import_csv(file.read_text(encoding="utf-8"), by="csv-import")
    except GlossaryCsvError as error:
        return fail(f"{file}: {error}; nothing was imported")
    if not added and not replaced:
        print(f"imported {file}: nothing changed (every term already says what the file says)")
    else:
        print(f"imported {file}: {added} terms added, {replaced} replaced")
    return 0


def glossary_export(file: Path) -> int:
    services = _offline_services()
    file.write_text(services.glossary.export_csv(), encoding="utf-8")
    print(f"exported the glossary to {file}")
    return 0


def run() -> int:
    from slack_bolt.error import BoltError

    try:
        return _run()
    except BoltError as error:
        return fail(f"Slack refused to start the app: {error}. Check SLACK_BOT_TOKEN.")


def _run() -> int:
    settings = settings_from(load_environment())  # before anything heavy: a bad setting is one line
    stop = StopSignal.install()
    migration = start_migrating(settings.database_url)  # meanwhile, this process loads its code

    from bot.app import create_app
    from bot.scheduler import start_scheduler

    services = start_services(settings, migration)
    app = create_app(services)
    freeze_startup_heap()
    scheduler = start_scheduler(services.dispatcher, services.planners())
    services.glossary.lookups.start()
    try:
        if settings.socket_mode:
            serve_socket_mode(app, settings, stop)
        else:
            serve_http(app, services, settings, stop)
    finally:
        services.dispatcher.stop()  # the pass in progress finishes; no new one starts, nor any wait for pacing
        finish_listeners(app)  # work Bolt runs after acknowledging (respond, views.open, recording lookups, …)
        services.glossary.lookups.stop()  # the buffered lookups' last flush: a SIGTERM loses none
        scheduler.shutdown(wait=True)  # waits for the pass in progress: every row it claimed is sent and marked
        services.engine.dispose()
    log.info("bridgebot stopped cleanly (%s): requests answered, outbox dispatch finished", stop.reason or "done")
    return 0


def freeze_startup_heap() -> None:
    """What start-up built (modules, Bolt, SQLAlchemy's caches, the glossary index) lives as long as the process:
    moved out of the collector's reach, it is no longer re-scanned by every full collection, which planning
    rounds that write thousands of messages trigger (about an eighth of such a round)."""
    gc.collect()
    gc.freeze()


def start_migrating(database_url: str | None) -> subprocess.Popen[bytes] | None:
    """Start `python -m bot db upgrade` as a child process when migrations are pending (a new database, or a
    release with a new migration); None when the database is at the head, as on most starts.

    Alembic runs in a process of its own because, once imported and run, it would stay in the bot's memory
    for good: some 6 MB, 11 where Pygments is installed (see storage.db.upgrade)."""
    from storage import db

    engine = _engine_for(database_url)
    try:
        if not db.migrations_pending(engine):
            return None
    finally:
        engine.dispose()
    log.info("migrating the database: python -m bot %s", " ".join(MIGRATE_COMMAND))
    environment = {**os.environ, "DATABASE_URL": database_url} if database_url else None
    return subprocess.Popen([sys.executable, "-m", "bot", *MIGRATE_COMMAND], env=environment, stdout=subprocess.DEVNULL)


def finish_migrating(migration: subprocess.Popen[bytes] | None) -> None:
    if migration is None:
        return
    status = migration.wait()
    if status != 0:
        raise MigrationFailed(
            f"migrating the database failed (python -m bot {' '.join(MIGRATE_COMMAND)} exited with {status}); "
            "the bot did not start"
        )


def start_services(settings: Settings, migration: subprocess.Popen[bytes] | None = None) -> Services:
    """Wait for the migration, then load the starter glossary once and build the services: one replica at a
    time on PostgreSQL. build_services migrates too, in this process, should migrations still be pending."""
    from bot.app import build_services

    finish_migrating(migration)
    with one_replica_starting_at_a_time(settings.database_url):
        services = build_services(settings)
        services.glossary.load_starter_glossary_if_empty()
    return services


def _engine_for(database_url: str | None) -> Engine:
    """An engine without a pool, for the start's own connections."""
    from sqlalchemy.pool import NullPool

    from storage import db

    try:
        return db.create_engine_for(database_url, poolclass=NullPool)
    except OSError as error:
        raise ConfigError(f"DATABASE_URL: cannot create the database file: {error.strerror or error}.") from error


@contextmanager
def one_replica_starting_at_a_time(database_url: str | None) -> Iterator[None]:
    """Replicas started together would race to create the schema and to load the starter glossary. On
    PostgreSQL they take turns under an advisory lock held for the start only (released if the process dies),
    and so does `python -m bot db upgrade`; an SQLite file serves one process."""
    from sqlalchemy import text

    engine = _engine_for(database_url)
    try:
        if engine.dialect.name != "postgresql":
            yield
            return
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY})
    finally:
        engine.dispose()


def serve_http(app: App, services: Services, settings: Settings, stop: StopSignal) -> None:
    from bot.server import EVENTS_PATH, make_http_server, wsgi_app
    from storage import db

    server = make_http_server(
        wsgi_app(app, lambda: db.ping(services.engine), signing_secret=settings.signing_secret),
        "0.0.0.0",
        settings.port,
    )
    stop.on_stop(server.request_stop)
    log.info("listening on http://0.0.0.0:%s%s (waitress)", settings.port, EVENTS_PATH)
    server.serve_forever()  # returns once stopped and drained
    log.info("%s: stopped taking requests; the requests in flight were answered", stop.reason)


def serve_socket_mode(app: App, settings: Settings, stop: StopSignal) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, settings.app_token)
    handler.connect()
    log.info("connected in Socket Mode")
    while not stop.requested:
        time.sleep(POLL_SECONDS)
    handler.close()
    log.info("%s: disconnected from Slack", stop.reason)


def finish_listeners(app: App) -> None:
    executor = app.listener_runner.listener_executor
    if isinstance(executor, ThreadPoolExecutor):
        executor.shutdown(wait=True)


class StopSignal:
    """SIGTERM (and Ctrl-C) ask for a graceful stop. The handler only sets flags and calls callbacks that only
    set flags: it runs between two bytecodes of the main thread, which may hold any lock (even an Event's)."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._callbacks: list[Callable[[], None]] = []

    @property
    def requested(self) -> bool:
        return self.reason is not None

    @classmethod
    def install(cls) -> StopSignal:
        stop = cls()
        signal.signal(signal.SIGTERM, stop._handle)
        signal.signal(signal.SIGINT, stop._handle)
        return stop

    def on_stop(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)
        if self.requested:
            callback()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.reason = signal.Signals(signum).name
        for callback in self._callbacks:
            callback()


if __name__ == "__main__":
    sys.exit(main())
