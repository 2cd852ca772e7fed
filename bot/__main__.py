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
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from bot import admin_commands, logs
from bot.admin_commands import fail
from bot.clock import Clock
from bot.config import (
    ConfigError,
    Settings,
    database_url_from,
    load_environment,
    log_format_from,
    log_level_from,
    settings_from,
    sqlite_file_of,
)
from bot.outcomes import Outcome
from bot.startup import StartFailed, bind_failure, bridgebot_version, shown_database

if TYPE_CHECKING:
    from slack_bolt import App
    from sqlalchemy import Engine

    from bot.health import Readiness
    from bot.server import HttpServer
    from bot.services import Services

log = logging.getLogger("bot")

POLL_SECONDS = 0.2
STARTUP_LOCK_KEY = 0x62726964  # "brid": the PostgreSQL advisory lock replicas take turns on while starting
MIGRATE_COMMAND = ("db", "upgrade")  # what the bot runs as a child process when migrations are pending


class MigrationFailed(StartFailed):
    pass


# Every admin command, as `--help` lists it (and README's "Admin commands" writes it).
ADMIN_COMMANDS = (
    ("run", "run the bot (the default): Socket Mode when SLACK_APP_TOKEN is set, else HTTP on HOST:PORT"),
    ("db upgrade", "apply pending migrations (the bot runs this itself, in a child process, when needed)"),
    ("glossary export FILE", "write every term, sense, alias and acronym to a CSV file"),
    ("glossary import FILE", "read a CSV file into the glossary: all or nothing, a bad row named by its line"),
    ("user export USER [FILE]", "everything the bot holds about one person, as JSON"),
    ("user forget USER [--yes]", "remove or anonymise it (asks first)"),
    ("vendors export FILE", "the register of outside tools as CSV"),
    ("digest send [--again]", "the last complete period's leadership digest, unless it was sent"),
    ("digest preview", "print the current, partial period's digest figures"),
    ("--version", "print the installed version"),
)


def parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  python -m bot {usage:<25} {what}" for usage, what in ADMIN_COMMANDS)
    root = argparse.ArgumentParser(
        prog="python -m bot",
        description="Bridgebot keeps marketing and IT in contact. With no command it runs the bot.",
        epilog=f"commands:\n{listing}\n\nSettings come from the environment and .env (see .env.example).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--version", action="version", version=f"bridgebot {bridgebot_version()}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help=ADMIN_COMMANDS[0][1])
    database = commands.add_parser("db", help="database administration: db upgrade")
    database.add_argument("action", choices=["upgrade"], help=f"upgrade: {ADMIN_COMMANDS[1][1]}")
    admin_commands.add_to(commands)
    return root


def main(
    argv: Sequence[str] | None = None, *, clock: Clock | None = None, sleep: Callable[[float], None] | None = None
) -> int:
    """`clock` and `sleep` are for tests: the admin commands' time and waiting (the real ones when None)."""
    args = parser().parse_args(argv)
    try:
        configure_logging()
        if args.command == "db":
            return upgrade_database()
        if args.command in admin_commands.NAMES:
            return admin_commands.run(args, clock, sleep)
        return run()
    except (ConfigError, StartFailed) as error:
        return fail(str(error))
    except Outcome as error:
        return fail(str(error))
    except OSError as error:
        filename = getattr(error, "filename", None)
        return fail(f"{error.strerror or error}: {filename}" if filename else f"{error.strerror or error}")
    except Exception as error:
        if not _is_operational_error(error):
            raise
        shown = shown_database(load_environment().get("DATABASE_URL", "").strip())
        return fail(f"cannot reach the database at DATABASE_URL ({shown}): {_first_line(error)}")


def _is_operational_error(error: Exception) -> bool:
    """SQLAlchemy's OperationalError, told without importing SQLAlchemy (a start on SQLite begins migrating
    before it does): if SQLAlchemy raised the error, it is loaded."""
    exceptions = sys.modules.get("sqlalchemy.exc")
    return exceptions is not None and isinstance(error, exceptions.OperationalError)


def configure_logging() -> None:
    """LOG_FORMAT is read first: a bad LOG_LEVEL, or any setting after it, is then reported in that format."""
    env = load_environment()
    log_format = "text"
    try:
        log_format = log_format_from(env)
        level = log_level_from(env)
    except ConfigError:
        logs.configure(log_format=log_format)
        raise
    logs.configure(level, log_format)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _first_line(error: Exception) -> str:
    """The driver's own first line (SQLAlchemy's OperationalError wraps it as `orig`)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


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
    logs.report("database is up to date")
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

    from bot.startup import announce, reuse_identity, start_client, who_am_i

    # A refused token or no network: one line, nothing created. The check's client is slack_sdk's alone, so the
    # migration child starts before this process loads the rest of its code (the two then overlap).
    identity = who_am_i(start_client(settings), settings)
    migration = start_migrating(settings.database_url)  # meanwhile, this process loads its code

    from bot.app import create_app
    from bot.scheduler import start_scheduler
    from bot.server import share_the_gil_for_serving

    freeze_startup_heap()  # the code just loaded: while the migration (if any) still runs
    services = start_services(settings, migration)
    app = create_app(services, token_verification=False)  # the token was checked above: Bolt gets that answer
    reuse_identity(app, identity)
    readiness = readiness_of(services)  # what /healthz answers (bot.health): any server may serve it
    freeze_startup_heap(young_only=True)  # what the services and the app added
    metrics_server = start_metrics(settings, services, readiness)
    scheduler = start_scheduler(services.dispatcher, services.planners(), token_check=services.sending.check_token)
    services.glossary.lookups.start()
    share_the_gil_for_serving()
    try:
        if settings.socket_mode:
            announce(settings, identity)
            serve_socket_mode(app, readiness, settings, stop)
        else:
            serve_http(app, readiness, settings, stop, announce=lambda url: announce(settings, identity, listening=url))
    finally:
        services.dispatcher.stop()  # the pass in progress finishes; no new one starts, nor any wait for pacing
        finish_listeners(app)  # work Bolt runs after acknowledging (respond, views.open, recording lookups, …)
        services.glossary.lookups.stop()  # the buffered lookups' last flush: a SIGTERM loses none
        scheduler.shutdown(wait=True)  # waits for the pass in progress: every row it claimed is sent and marked
        if metrics_server is not None:
            metrics_server.shutdown()
        services.engine.dispose()
    log.info("bridgebot stopped cleanly (%s): requests answered, outbox dispatch finished", stop.reason or "done")
    return 0


def freeze_startup_heap(*, young_only: bool = False) -> None:
    """What start-up built (modules, Bolt, SQLAlchemy's caches, the glossary index) lives as long as the process:
    moved out of the collector's reach, it is no longer re-scanned by every full collection, which planning
    rounds that write thousands of messages trigger (about an eighth of such a round). The start freezes twice:
    the code once loaded, with a full collection, and what was built after it, with a collection of the younger
    generations only (the rest is frozen already)."""
    gc.collect(1 if young_only else 2)
    gc.freeze()


def start_migrating(database_url: str | None) -> subprocess.Popen[bytes] | None:
    """Start `python -m bot db upgrade` as a child process when migrations are pending (a new database, or a
    release with a new migration); None when the database is at the head, as on most starts.

    Alembic runs in a process of its own because, once imported and run, it would stay in the bot's memory
    for good: some 6 MB, 11 where Pygments is installed (see storage.db.upgrade)."""
    if not _migrations_pending(database_url):
        return None
    log.info("migrating the database: python -m bot %s", " ".join(MIGRATE_COMMAND))
    environment = {**os.environ, **logs.environment(), **({"DATABASE_URL": database_url} if database_url else {})}
    return subprocess.Popen([sys.executable, "-m", "bot", *MIGRATE_COMMAND], env=environment, stdout=subprocess.DEVNULL)


def _migrations_pending(database_url: str | None) -> bool:
    """An SQLite file is read with the standard library (storage.migrations); anything else, or a file in doubt,
    through SQLAlchemy."""
    from storage import migrations

    sqlite_file = sqlite_file_of(database_url)
    pending = migrations.sqlite_file_pending(sqlite_file) if sqlite_file is not None else None
    if pending is not None:
        return pending
    from storage import db

    engine = _engine_for(database_url)
    try:
        return db.migrations_pending(engine)
    finally:
        engine.dispose()


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


def readiness_of(services: Services) -> Readiness:
    """What /healthz answers, on PORT (HTTP mode) and METRICS_PORT: the database, the Socket Mode link, sending."""
    from bot.app import health_check
    from bot.health import Readiness

    return Readiness(health_check(services))


def start_metrics(settings: Settings, services: Services, readiness: Readiness) -> HttpServer | None:
    """Prometheus on METRICS_PORT, when set (prometheus_client is imported only then), with /healthz beside it."""
    if settings.metrics_port is None:
        return None
    from bot.metrics_server import METRICS_PATH, serve_metrics

    try:
        server = serve_metrics(
            settings.host, settings.metrics_port, readiness=readiness, outbox_counts=services.dispatcher.rows_by_state
        )
    except OSError as error:
        raise ConfigError(f"METRICS_PORT {settings.metrics_port}: {error.strerror or error}.") from error
    log.info("metrics on http://%s:%s%s (and /healthz)", settings.host, settings.metrics_port, METRICS_PATH)
    return server


def serve_http(
    app: App, readiness: Readiness, settings: Settings, stop: StopSignal, *, announce: Callable[[str], None]
) -> None:
    from bot.server import EVENTS_PATH, make_http_server, wsgi_app

    application = wsgi_app(app, readiness, signing_secret=settings.signing_secret)
    try:
        server = make_http_server(application, settings.host, settings.port)
    except OSError as error:
        raise bind_failure(error, settings) from None
    stop.on_stop(server.request_stop)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    announce(f"http://{host}:{settings.port}{EVENTS_PATH} (waitress)")
    server.serve_forever()  # returns once stopped and drained
    log.info("%s: stopped taking requests; the requests in flight were answered", stop.reason)


def serve_socket_mode(app: App, readiness: Readiness, settings: Settings, stop: StopSignal) -> None:
    from bot.socket_mode import SocketModeLink
    from bot.startup import api_url_shown

    assert settings.app_token is not None, "Socket Mode is chosen by SLACK_APP_TOKEN"
    link = SocketModeLink(app, settings.app_token, readiness, api_url=api_url_shown(settings))
    try:
        while not stop.requested:
            link.poll()
            time.sleep(POLL_SECONDS)
    finally:
        link.close()
    log.info("%s: disconnected from Slack", stop.reason)


def finish_listeners(app: App) -> None:
    app.listener_runner.listener_executor.shutdown(wait=True)


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
