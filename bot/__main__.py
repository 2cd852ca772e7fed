"""`python -m bot` (or `bridgebot`): run the bot, or an admin subcommand."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from slack_bolt.error import BoltError
from sqlalchemy.exc import OperationalError

from bot.config import ConfigError, Settings, database_url_from, load_environment, settings_from
from bot.glossary_csv import GlossaryCsvError

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger("bot")


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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if args.command == "db":
            return upgrade_database()
        if args.command == "glossary":
            return glossary_import(args.file) if args.action == "import" else glossary_export(args.file)
        return run()
    except ConfigError as error:
        return fail(str(error))
    except OperationalError as error:
        return fail(f"cannot reach the database named by DATABASE_URL: {str(error.orig).strip().splitlines()[0]}")
    except BoltError as error:
        return fail(f"Slack refused to start the app: {error}. Check SLACK_BOT_TOKEN.")
    except OSError as error:
        return fail(f"{error.strerror or error}: {getattr(error, 'filename', '') or 'check PORT and file paths'}")


def fail(message: str) -> int:
    print(f"bridgebot: {message}", file=sys.stderr)
    return 2


def _offline_services() -> Services:
    """Services for admin commands: the database only, no Slack tokens needed."""
    from bot.app import build_services

    database_url = database_url_from(load_environment())
    return build_services(Settings(bot_token="xoxb-offline", signing_secret="", database_url=database_url))


def upgrade_database() -> int:
    _offline_services()
    print("database is up to date")
    return 0


def glossary_import(file: Path) -> int:
    services = _offline_services()
    try:
        added, replaced = services.glossary.import_csv(file.read_text(encoding="utf-8"), by="csv-import")
    except GlossaryCsvError as error:
        return fail(f"{file}: {error}; nothing was imported")
    print(f"imported {file}: {added} terms added, {replaced} replaced")
    return 0


def glossary_export(file: Path) -> int:
    services = _offline_services()
    file.write_text(services.glossary.export_csv(), encoding="utf-8")
    print(f"exported the glossary to {file}")
    return 0


def run() -> int:
    settings = settings_from(load_environment())  # before anything heavy: a bad setting is one line

    from bot.app import build_services, create_app
    from bot.scheduler import start_scheduler
    from storage import db

    services = build_services(settings)
    services.glossary.load_starter_glossary_if_empty()
    app = create_app(services)
    scheduler = start_scheduler(services.dispatcher, services.planners())
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("starting in Socket Mode")
            SocketModeHandler(app, settings.app_token).start()
        else:
            from bot.server import EVENTS_PATH, make_http_server, wsgi_app

            server = make_http_server(wsgi_app(app, lambda: db.ping(services.engine)), "0.0.0.0", settings.port)
            _stop_on_sigterm(server.shutdown)
            log.info("listening on http://0.0.0.0:%s%s", settings.port, EVENTS_PATH)
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=True)
    return 0


def _stop_on_sigterm(stop: object) -> None:
    import threading

    def handle(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=stop, daemon=True).start()  # type: ignore[arg-type]

    signal.signal(signal.SIGTERM, handle)


if __name__ == "__main__":
    sys.exit(main())
