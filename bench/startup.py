"""Benchmark: cold start to ready, and idle memory, of `python -m bot` in HTTP mode, beside a bare Bolt app.

    python bench/startup.py [--runs 5] [--idle 3] [--restart]

Each run starts a new process with a fresh SQLite database (so the start migrates it and loads the starter
glossary) and times process start until GET /healthz answers 200; then, after --idle seconds, reads the
process's resident memory (VmRSS). With --restart, each run first starts and stops the bot once on its
database, then measures a second start on that database (at the head, glossary loaded: the usual restart).
The bare Bolt app is started the same way (a new Python process serving a one-listener Bolt app and
/healthz with bot.server). Slack's Web API is the local fake (tests/fake_slack).
Prints medians over the runs, with ratios. Targets (issues #7, #19): ready <= 1.5 s on a fresh database, idle RSS
<= 80 MB.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 30.0


def serve_bare() -> None:
    """The bare app: Bolt with one constant listener, behind the same server and /healthz as the bot."""
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.health import Readiness
    from bot.server import make_http_server, wsgi_app

    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client)  # checks the token, as the bot does
    app.command("/jargon")(lambda ack: ack("constant"))
    server = make_http_server(
        wsgi_app(app, Readiness(), signing_secret=os.environ["SLACK_SIGNING_SECRET"]),
        "0.0.0.0",
        int(os.environ["PORT"]),
    )
    server.serve_forever()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(fake: FakeSlack, folder: str, port: int) -> dict[str, str]:
    keep = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-startup",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": f"sqlite:///{folder}/bridgebot.db",
        "JOINT_CHANNEL": "CJOINT",
        "PORT": str(port),
    }


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_start(command: list[str], fake: FakeSlack, idle: float, restart: bool = False) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        if restart:
            start_in(folder, command, fake, 0.0)
        return start_in(folder, command, fake, idle)


def start_in(folder: str, command: list[str], fake: FakeSlack, idle: float) -> tuple[float, float]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=environment(fake, folder, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not healthy(port):
            if process.poll() is not None:
                raise SystemExit(f"{' '.join(command)} exited: {process.stderr.read() if process.stderr else ''}")
            if time.perf_counter() - started > READY_TIMEOUT:
                raise SystemExit(f"{' '.join(command)} not ready after {READY_TIMEOUT:.0f} s")
            time.sleep(0.01)
        ready = time.perf_counter() - started
        time.sleep(idle)
        memory = rss_mb(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return ready, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=3.0, help="seconds after ready before reading RSS")
    parser.add_argument(
        "--restart", action="store_true", help="measure a second start on a database a first start left behind"
    )
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare()
        return

    commands = {
        "bare Bolt app": [sys.executable, str(Path(__file__).resolve()), "--serve-bare"],
        "python -m bot": [sys.executable, "-m", "bot"],
    }
    fake = FakeSlack().start()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    try:
        for _ in range(args.runs):  # alternate, so machine noise falls on both
            for name, command in commands.items():
                results[name].append(one_start(command, fake, args.idle, args.restart))
    finally:
        fake.stop()

    database = "an existing database (second start)" if args.restart else "a fresh database"
    print(f"\ncold start to ready (GET /healthz 200) and idle RSS after {args.idle:.0f} s, on {database}")
    print(f"median of {args.runs} runs")
    print("                    ready s   (min..max)        RSS MB")
    medians = {}
    for name, runs in results.items():
        ready = [r for r, _ in runs]
        memory = [m for _, m in runs]
        medians[name] = (statistics.median(ready), statistics.median(memory))
        print(f"  {name:<15} {medians[name][0]:8.2f}   ({min(ready):.2f}..{max(ready):.2f})   {medians[name][1]:10.1f}")
    bare, bot = medians["bare Bolt app"], medians["python -m bot"]
    print(f"  ratio (bot/bare) {bot[0] / bare[0]:7.2f}                     {bot[1] / bare[1]:10.2f}")
    print(f"  cold start: {bot[0]:.2f} s to ready (target ≤ 1.5 s: {'met' if bot[0] <= 1.5 else 'NOT met'})")
    print(f"  idle memory: {bot[1]:.1f} MB (target ≤ 80 MB: {'met' if bot[1] <= 80 else 'NOT met'})")


if __name__ == "__main__":
    main()
