"""The admin commands beside running the bot: the glossary's CSV, one person's data, the register of outside
tools, the leadership digest. Each works on the database alone (the digest's send needs the Slack settings too)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot import logs
from bot.clock import Clock, utc_now
from bot.config import ConfigError, Settings, database_url_from, load_environment, settings_from

if TYPE_CHECKING:
    from bot.services import Services

NAMES = ("glossary", "user", "vendors", "digest")


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    glossary = commands.add_parser("glossary", help="import or export the glossary as CSV")
    glossary.add_argument("action", choices=["import", "export"])
    glossary.add_argument("file", type=Path, help="the CSV file to read or write")
    user = commands.add_parser("user", help="one person's data: export it as JSON, or forget it")
    user_actions = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = user_actions.add_parser("export", help="write everything the bot holds about a person as JSON")
    export.add_argument("user_id", metavar="USER_ID", help="their Slack user id (U…)")
    export.add_argument("file", type=Path, nargs="?", help="the JSON file to write (default: standard output)")
    forget = user_actions.add_parser("forget", help="remove or anonymise everything the bot holds about a person")
    forget.add_argument("user_id", metavar="USER_ID", help="their Slack user id (U…)")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    vendors = commands.add_parser("vendors", help="export the register of outside tools as CSV")
    vendors.add_argument("action", choices=["export"])
    vendors.add_argument("file", type=Path, help="the CSV file to write")
    digest = commands.add_parser("digest", help="the leadership digest")
    digest.add_argument(
        "action",
        choices=["send", "preview"],
        help="send: the last complete period's digest, unless it was sent; preview: print the period so far",
    )
    digest.add_argument("--again", action="store_true", help="with send: send it once more, even if it was sent")


def run(args: argparse.Namespace, clock: Clock | None, sleep: Callable[[float], None] | None = None) -> int:
    """`clock` and `sleep` are for tests: the commands' time and waiting (the real ones when None)."""
    if args.command == "glossary":
        return glossary_import(args.file) if args.action == "import" else glossary_export(args.file)
    if args.command == "user":
        if args.action == "export":
            return user_export(args.user_id, args.file)
        return user_forget(args.user_id, args.yes, sleep or time.sleep)
    if args.command == "vendors":
        return vendors_export(args.file)
    if args.command == "digest":
        return digest_send(args.again, clock) if args.action == "send" else digest_preview(clock)
    raise AssertionError(f"not an admin command: {args.command}")


def fail(message: str) -> int:
    """One line saying what went wrong, and the exit status of a command that could not do its work."""
    logs.error_line(message)
    return 2


def _offline_services(clock: Clock | None = None, settings: Settings | None = None) -> Services:
    """Services for admin commands: the database only, no Slack tokens needed."""
    from bot.app import build_services

    database_url = database_url_from(load_environment())
    offline = Settings(bot_token="xoxb-offline", signing_secret="", database_url=database_url)
    return build_services(settings or offline, clock=clock or utc_now)


def digest_send(again: bool, clock: Clock | None) -> int:
    """Queue the last complete period's digest (the scheduled one's key: once per period; `again`: once more),
    then send what is due, as the running bot's dispatcher would."""
    from bot.app import build_services

    services = build_services(settings_from(load_environment()), clock=clock or utc_now)
    try:
        period, queued = services.digest.send_last(again=again)
        if not services.digest.recipients():
            return fail("the digest has nowhere to go: set LEADERSHIP_CHANNEL (or BOT_ADMINS)")
        report = services.dispatcher.run_once()
    finally:
        services.engine.dispose()
    digests = [key for key in report.sent if key.startswith("digest:")]
    if not queued and not digests:
        print(f"the digest for the {period.label()} was queued or sent already; --again sends it once more")
        return 0
    failed = [key for key in report.failed + report.retried if key.startswith("digest:")]
    if failed:
        return fail(f"the digest for the {period.label()} was not sent yet ({', '.join(failed)}): see the log")
    print(f"sent the digest for the {period.label()}: {len(digests)} messages (digest and chart)")
    return 0


def digest_preview(clock: Clock | None) -> int:
    from handlers.digest_messages import digest_text

    try:  # the thresholds (INTAKE_SHORT_NOTICE_DAYS…) when the settings are complete; else the defaults
        settings: Settings | None = settings_from(load_environment())
    except ConfigError:
        settings = None
    services = _offline_services(clock, settings)
    try:
        print(digest_text(services.digest.preview()), end="")
    finally:
        services.engine.dispose()
    return 0


def glossary_import(file: Path) -> int:
    from bot.glossary_csv import GlossaryCsvError, decode_csv

    services = _offline_services()
    try:
        added, replaced = services.glossary.import_csv(decode_csv(file.read_bytes()), by="csv-import")
    except GlossaryCsvError as error:
        return fail(f"{file}: {error}; nothing was imported")
    if not added and not replaced:
        logs.report(f"imported {file}: nothing changed (every term already says what the file says)")
    else:
        logs.report(f"imported {file}: {added} terms added, {replaced} replaced")
    return 0


def glossary_export(file: Path) -> int:
    services = _offline_services()
    file.write_text(services.glossary.export_csv(), encoding="utf-8")
    logs.report(f"exported the glossary to {file}")
    return 0


def user_export(user_id: str, file: Path | None) -> int:
    """Everything the bot holds about one person, as JSON; what was found, per table, on standard error."""
    import json

    found = _offline_services().people.export(user_id)
    text = json.dumps(found.as_json(), indent=2, default=str, ensure_ascii=False) + "\n"
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
    print(f"{found.user_id}: {_summary(found.counts)}" + (f"; written to {file}" if file else ""), file=sys.stderr)
    return 0


def user_forget(user_id: str, yes: bool, sleep: Callable[[float], None] = time.sleep) -> int:
    """Remove or anonymise everything about one person, after showing what that is and asking (unless --yes)."""
    services = _offline_services()
    found = services.people.export(user_id)
    if not found.tables:
        _purge_buffered_lookups(services, found.user_id, sleep)
        print(f"{found.user_id}: the bot holds nothing about them; nothing to forget")
        return 0
    print(f"{found.user_id}: {_summary(found.counts)}")
    if not yes:
        if not sys.stdin.isatty():
            return fail("forgetting cannot be undone: confirm at a terminal, or pass --yes")
        answer = input(f"Forget {found.user_id}? This cannot be undone. Type 'yes' to go on: ")
        if answer.strip().lower() != "yes":
            print("nothing was changed")
            return 1
    done = services.people.forget(found.user_id)
    _purge_buffered_lookups(services, found.user_id, sleep)
    print(f"forgot {found.user_id}: " + ", ".join(f"{t} ({_summary(c)})" for t, c in done.items()))
    return 0


def _purge_buffered_lookups(services: Services, user_id: str, sleep: Callable[[float], None]) -> None:
    """Running bots hold the newest lookups in memory for a flush interval: they drop this person's at their next
    flush, while the request is in the database (two intervals), and what they wrote meanwhile is deleted."""
    from bot.config import LOOKUP_FLUSH_SECONDS
    from bot.glossary_lookups import purge_lookups_of

    raw = load_environment().get("LOOKUP_FLUSH_SECONDS", "").strip()  # the running bots' interval
    wait = 2 * (int(raw) if raw.isdigit() and int(raw) > 0 else LOOKUP_FLUSH_SECONDS)
    print(f"waiting {wait} s for running bots to drop lookups of {user_id} they still hold in memory", file=sys.stderr)
    purge_lookups_of(services.sessions, user_id, wait_seconds=wait, sleep=sleep)


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "nothing"


def vendors_export(file: Path) -> int:
    services = _offline_services()
    file.write_text(services.vendors.export_csv(), encoding="utf-8")
    print(f"exported the register of outside tools to {file}")
    return 0
