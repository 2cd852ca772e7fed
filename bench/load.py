"""Load benchmark: 50 simulated users over HTTP on loopback, against the real app and a bare Bolt app.

    python bench/load.py [--seconds 60] [--users 50] [--think 0.5] [--block 10] [--database-url URL]
    python bench/load.py --lookups [--users 20] [--database-url postgresql://…/empty_db]

Each app runs in its own process, served by bot.server (the server `python -m bot` uses in HTTP mode):
the real app with a fresh SQLite database, the starter glossary and its scheduler, and a bare Bolt app
acknowledging every /jargon and every button with a constant. The fake Slack Web API (tests/fake_slack)
runs here, in the load process. Every user sends what Slack would (signed with tests/slack_requests):
/jargon lookups that hit (50%) or miss (20%, with suggestions), and clicks on "Show" (jargon_show) and
"Share in channel" (jargon_share), with a random think time averaging --think seconds. The two apps take
turns in blocks of --block seconds, so machine noise falls on both, until each has had --seconds.

Prints p50 / p99 / max acknowledgement time (request sent to answer read), requests per second and errors
(non-200, connection failures, answers slower than Slack's 3 s) for both, with ratios.
Target (issue #7): p99 < 300 ms, 0 errors.

--lookups (issue #19): every user only looks up terms that hit, with no think time (defaults to 20 users):
the bot's requests per second against the bare app's. Target: at least 0.8x. The real app's database is a
fresh SQLite file unless --database-url names another (an empty PostgreSQL database: it is migrated).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import logging
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET, Reply, SlackSender

ROOT = Path(__file__).resolve().parents[1]
SLACK_DEADLINE = 3.0
GLOSSARY = ROOT / "bot" / "data" / "starter_glossary.csv"


# --- the servers (child processes) -------------------------------------------------------------------------


def serve(kind: str, api_url: str, database_url: str | None) -> None:
    """Run one app on a free port, print the port and the server's name, serve until killed."""
    from bot.__main__ import freeze_startup_heap
    from bot.health import Readiness
    from bot.server import make_http_server, share_the_gil_for_serving, wsgi_app

    share_the_gil_for_serving()  # both apps, as `python -m bot` serves HTTP
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth": counted by the p99 instead
    application = (
        real_app(api_url, database_url)
        if kind == "bot"
        else wsgi_app(bare_app(api_url), Readiness(), signing_secret=SIGNING_SECRET)
    )
    freeze_startup_heap()  # both apps, as `python -m bot` freezes what its start built
    server = make_http_server(application, "127.0.0.1", 0)
    name = "waitress" if "waitress" in sys.modules else type(server).__name__
    print(f"PORT {server.server_address[1]} {name}", flush=True)
    server.serve_forever()


def real_app(api_url: str, database_url: str | None) -> Any:
    from bot.app import build_services, create_app, health_check
    from bot.config import Settings
    from bot.health import Readiness
    from bot.scheduler import start_scheduler
    from bot.server import wsgi_app

    folder = tempfile.mkdtemp(prefix="bridgebot-load-")
    settings = Settings(
        bot_token="xoxb-load",
        signing_secret=SIGNING_SECRET,
        api_url=api_url,
        database_url=database_url or f"sqlite:///{folder}/bridgebot.db",
        it_intake_channel="CIT",
        marketing_channel="CMKT",
        joint_channel="CJOINT",
    )
    services = build_services(settings)
    services.glossary.load_starter_glossary_if_empty()
    start_scheduler(services.dispatcher, services.planners())
    services.glossary.lookups.start()
    return wsgi_app(create_app(services), Readiness(health_check(services)), signing_secret=SIGNING_SECRET)


def bare_app(api_url: str) -> Any:
    from bench.bolt_apps import bolt_app

    app = bolt_app(api_url, "xoxb-load", SIGNING_SECRET)
    app.command("/jargon")(lambda ack: ack("constant"))
    app.action(re.compile(".*"))(lambda ack: ack())
    return app


def start_server(kind: str, api_url: str, database_url: str | None) -> tuple[subprocess.Popen[str], int, str]:
    database = ["--database-url", database_url] if database_url else []
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--api-url", api_url, *database],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise SystemExit(f"the {kind} server did not start: {line!r}")
    _, port, name = line.split()
    return process, int(port), name


# --- the users ---------------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, latency: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append(latency)
            if error:
                self.errors[error] = self.errors.get(error, 0) + 1


class KeepAliveSender(SlackSender):
    """tests/slack_requests' signed requests, over one persistent connection per simulated user."""

    def __init__(self, port: int, fake: FakeSlack, tally: Tally) -> None:
        super().__init__(f"http://127.0.0.1:{port}/slack/events", fake)
        self.port = port
        self.tally = tally
        self.connection: http.client.HTTPConnection | None = None

    def post(self, body: str, content_type: str = "application/x-www-form-urlencoded", *, sign: bool = True) -> Reply:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=timestamp, body=body),
        }
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
            response = self.connection.getresponse()
            raw = response.read().decode()
        except (OSError, http.client.HTTPException) as error:
            self.tally.record(time.perf_counter() - started, type(error).__name__)
            self.close()
            return Reply(0, {}, "")
        latency = time.perf_counter() - started
        error = f"HTTP {response.status}" if response.status != 200 else None
        if error is None and latency > SLACK_DEADLINE:
            error = "slower than 3 s"
        self.tally.record(latency, error)
        return Reply(response.status, json.loads(raw) if raw.startswith("{") else {}, raw)

    def _check_reply(self, reply: Reply) -> None:
        """Not here: the functional tests check answers; the load run only times them."""

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def simulated_user(
    sender: KeepAliveSender, rng: random.Random, terms: list[str], until: float, think: float, lookups: bool
) -> None:
    user = f"ULOAD{rng.randrange(10_000)}"
    while time.monotonic() < until:
        roll = 0.0 if lookups else rng.random()
        if roll < 0.5:
            sender.command("/jargon", rng.choice(terms), user=user)
        elif roll < 0.7:
            sender.command("/jargon", f"{rng.choice(terms)[:3]}zq{rng.randrange(1000)}", user=user)
        elif roll < 0.85:
            sender.action(f"jargon_show:{rng.randrange(1, 100)}", str(rng.randrange(1, 100)), user=user)
        else:
            sender.action("jargon_share", str(rng.randrange(1, 100)), user=user)
        if think:
            time.sleep(rng.uniform(0, 2 * think))
    sender.close()


def run_block(port: int, fake: FakeSlack, tally: Tally, terms: list[str], args: argparse.Namespace, seed: int) -> float:
    """One turn of one app: its requests per second in this turn."""
    before = len(tally.latencies)
    started = time.monotonic()
    until = started + args.block
    threads = [
        threading.Thread(
            target=simulated_user,
            args=(
                KeepAliveSender(port, fake, tally),
                random.Random(seed * 1000 + n),
                terms,
                until,
                args.think,
                args.lookups,
            ),
        )
        for n in range(args.users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    tally.seconds += seconds
    return (len(tally.latencies) - before) / seconds


def starter_terms() -> list[str]:
    with GLOSSARY.open(encoding="utf-8") as file:
        return sorted({row["term"] for row in csv.DictReader(file) if row["term"]})


# --- the report --------------------------------------------------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def summary(tally: Tally) -> dict[str, float]:
    ordered = sorted(tally.latencies) or [float("nan")]
    return {
        "requests": len(tally.latencies),
        "per_second": len(tally.latencies) / tally.seconds if tally.seconds else 0.0,
        "p50": statistics.median(ordered) * 1000,
        "p99": percentile(ordered, 0.99) * 1000,
        "max": ordered[-1] * 1000,
        "errors": sum(tally.errors.values()),
    }


def report(bare: Tally, bot: Tally, args: argparse.Namespace, server: str) -> None:
    b, r = summary(bare), summary(bot)
    mix = "hits only" if args.lookups else "mixed requests"
    print(
        f"\n{args.users} users, {mix}, think time {args.think:.2f} s on average, {server}, {args.seconds:.0f} s per app"
    )
    print("                   requests    req/s     p50 ms     p99 ms     max ms   errors")
    for name, figures in (("bare Bolt app", b), ("Bridgebot", r)):
        print(
            f"  {name:<15} {figures['requests']:9.0f} {figures['per_second']:8.1f} {figures['p50']:10.1f} "
            f"{figures['p99']:10.1f} {figures['max']:10.1f} {figures['errors']:8.0f}"
        )
    print(
        f"  ratio (bot/bare)          {r['per_second'] / b['per_second']:8.2f} {r['p50'] / b['p50']:10.2f} "
        f"{r['p99'] / b['p99']:10.2f}"
    )
    for name, tally in (("bare", bare), ("bot", bot)):
        if tally.errors:
            print(f"  {name} errors: {tally.errors}")
    if args.lookups:
        ratio = r["per_second"] / b["per_second"]
        print(f"  lookups: {ratio:.2f}× bare Bolt (target ≥ 0.8×: {'met' if ratio >= 0.8 else 'NOT met'})")
        return
    verdict = "met" if r["p99"] < 300 and r["errors"] == 0 else "NOT met"
    print(f"  target p99 < 300 ms and 0 errors: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="load time per app")
    parser.add_argument("--users", type=int, help="default 50 (20 with --lookups)")
    parser.add_argument("--think", type=float, help="mean pause between a user's requests (0: none; default 0.5)")
    parser.add_argument("--lookups", action="store_true", help="hits only, no think time: requests/s against bare")
    parser.add_argument("--database-url", help="the real app's database (default: a fresh SQLite file)")
    parser.add_argument("--block", type=float, default=10.0, help="seconds per turn before the other app's turn")
    parser.add_argument("--serve", choices=["bot", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.api_url, args.database_url)
        return
    if args.users is None:
        args.users = 20 if args.lookups else 50
    if args.think is None:
        args.think = 0.0 if args.lookups else 0.5

    terms = starter_terms()
    fake = FakeSlack().start()
    processes = {}
    try:
        for kind in ("bare", "bot"):
            processes[kind] = start_server(kind, fake.base_url, args.database_url)
        tallies = {"bare": Tally(), "bot": Tally()}
        warm = argparse.Namespace(**{**vars(args), "block": 2.0})
        for kind in ("bare", "bot"):
            run_block(processes[kind][1], fake, Tally(), terms, warm, seed=0)
        blocks = max(round(args.seconds / args.block), 1)
        args.block = args.seconds / blocks
        turns = []  # each turn: the bot's requests per second over the bare app's, one right after the other
        for block in range(blocks):
            rates = {
                kind: run_block(processes[kind][1], fake, tallies[kind], terms, args, seed=block + 1)
                for kind in (("bare", "bot") if block % 2 == 0 else ("bot", "bare"))
            }
            turns.append(rates["bot"] / rates["bare"] if rates["bare"] else float("nan"))  # nan: bare served none
        report(tallies["bare"], tallies["bot"], args, f"served by bot.server ({processes['bot'][2]})")
        each = " ".join(f"{ratio:.2f}" for ratio in turns)
        print(f"  turn by turn (bot/bare): {each}, median {statistics.median(turns):.2f}")
        problems = len(fake.problems)
        print(f"  fake Slack: {len(fake.calls)} Web API / response_url calls after the acks, {problems} rejected")
    finally:
        for process, *_ in processes.values():
            process.terminate()
        for process, *_ in processes.values():
            process.wait(timeout=10)
        fake.stop()


if __name__ == "__main__":
    main()
