"""Benchmark: in-process dispatch of /jargon with 10,000 terms, against a bare Bolt app in the same run.

    python bench/jargon.py [--terms 10000] [--runs 300]

Prints median and p95 dispatch times for a hit, a miss with suggestions, and a bare Bolt app that acks a
constant, with ratios. Measured twice: as deployed (process_before_response=False, where Bolt polls for
the ack every 10 ms) and with process_before_response=True, which exposes the listener's own cost.
Targets (issue #2): hit <= 1.5x bare; miss with suggestions <= bare + 5 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bench.bolt_apps import bolt_app
from bot.app import build_services
from bot.config import Settings
from bot.glossary import SenseData, TermDraft, term_key
from handlers.features import register_all
from storage.glossary import GlossaryRepository
from tests.fake_slack import FakeSlack

SECRET = "0123456789abcdef0123456789abcdef"
FAKE_SLACK = FakeSlack().start()  # answers auth.test, which Bolt calls once before the first request
API_URL = FAKE_SLACK.base_url
SYLLABLES = [consonant + vowel for consonant in "klmntrsvpdfghj" for vowel in "aeiou"]
WORDS = ["data", "page", "lead", "cloud", "audience", "server", "campaign", "pipeline"]
WORDS += ["report", "budget", "vendor", "privacy"]


def synthetic_terms(count: int, rng: random.Random) -> list[TermDraft]:
    names: set[str] = set()
    drafts = []
    while len(drafts) < count:
        name = " ".join("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(rng.randint(1, 2)))
        if term_key(name) in names:
            continue
        names.add(term_key(name))
        definition = " ".join(rng.choices(WORDS, k=12))
        side = rng.choice(["it", "marketing", "both"])
        drafts.append(TermDraft(name.title(), (SenseData(side, definition, "An example.", "It matters."),)))
    return drafts


def signed_command(text: str) -> BoltRequest:
    body = urlencode(
        {
            "command": "/jargon",
            "text": text,
            "user_id": "UBENCH",
            "channel_id": "CBENCH",
            "team_id": "T1",
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": "t",
        }
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [signature],
    }
    return BoltRequest(body=body, headers=headers)


def timed(app: App, text: str, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        request = signed_command(text)
        started = time.perf_counter()
        response = app.dispatch(request)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, response.body
    return samples


def bare_app(process_before_response: bool) -> App:
    app = bolt_app(API_URL, "xoxb-bench", SECRET, process_before_response=process_before_response)
    app.command("/jargon")(lambda ack: ack("constant"))
    return app


def bridgebot_app(services: object, process_before_response: bool) -> App:
    app = bolt_app(API_URL, "xoxb-bench", SECRET, process_before_response=process_before_response)
    register_all(app, services)  # type: ignore[arg-type]
    return app


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            bot_token="xoxb-bench",
            signing_secret=SECRET,
            api_url=API_URL,
            database_url=f"sqlite:///{folder}/bench.db",
        )
        services = build_services(settings)
        drafts = synthetic_terms(args.terms, rng)
        started = time.perf_counter()
        with services.sessions.begin() as session:
            repository = GlossaryRepository(session)
            for draft in drafts:
                repository.add(draft, by="UBENCH", at=services.clock())
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        services.glossary.refresh_seconds = 3600  # measure lookups, not the periodic freshness check
        index_size = len(services.glossary.index())
        built = time.perf_counter() - started
        hit_text = drafts[len(drafts) // 2].name.lower()
        miss_text = drafts[len(drafts) // 3].name.lower()[:-1] + "x"
        print(f"{index_size} terms: inserted in {loaded:.1f} s, index built in {built * 1000:.0f} ms")
        assert services.glossary.index().find(miss_text) is None
        print(f"miss {miss_text!r} suggests {[e.name for e in services.glossary.index().suggest(miss_text)]}")

        for mode in (False, True):
            bare, bot = bare_app(mode), bridgebot_app(services, mode)
            for app in (bare, bot):  # warm up
                timed(app, hit_text, 20)
            bare_ms = summary(timed(bare, "anything", args.runs))
            hit_ms = summary(timed(bot, hit_text, args.runs))
            miss_ms = summary(timed(bot, miss_text, args.runs))
            print(f"\nprocess_before_response={mode}  ({args.runs} runs each; median / p95 in ms)")
            print(f"  bare Bolt app        {bare_ms[0]:7.3f} / {bare_ms[1]:7.3f}")
            print(f"  /jargon hit          {hit_ms[0]:7.3f} / {hit_ms[1]:7.3f}   ratio {hit_ms[0] / bare_ms[0]:.2f}x")
            print(
                f"  /jargon miss+suggest {miss_ms[0]:7.3f} / {miss_ms[1]:7.3f}   "
                f"+{miss_ms[0] - bare_ms[0]:.3f} ms over bare"
            )
            time.sleep(0.5)  # let lookups recorded after the ack finish before the next mode
        services.engine.dispose()


if __name__ == "__main__":
    main()
