"""Nothing silently cut where people read: long agendas, notes, abstracts, intake answers and glossary entries
reach Slack whole (over several blocks or messages), or with a plain line saying what is left out and where
to read it; a form never shows less than it will save; a cut never leaves half an escape, mention or date."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from handlers.blocks import cut, escape, length, split_mrkdwn
from tests.conftest import JOINT_CHANNEL, RunningBot, wait_for
from tests.slack_requests import select_many
from tests.test_lunchlearn_slack import mrkdwn_texts, plan_session
from tests.test_newproject_flow import FORM, submit_intake
from tests.test_sitdown_commands import create_series, opened_view

WEEKLY_AT_TEN = {"zone": ("select", "Europe/London"), "cadence": ("select", "weekly"), "leads": select_many(["15"])}
REMINDER_TIME = datetime(2026, 11, 24, 9, 45, tzinfo=UTC)  # 15 minutes before the first Tuesday 10:00
AFTER_THE_MEETING = datetime(2026, 11, 24, 10, 45, tzinfo=UTC)


def read(*payloads: dict[str, Any]) -> str:
    """What a person reads across the messages, block after block."""
    return "\n".join(text for payload in payloads for text in mrkdwn_texts(payload.get("blocks", [])))


def without_spaces(text: str) -> str:
    """Blocks break long text at line breaks and spaces: compare what is left."""
    return re.sub(r"\s", "", text)


def agenda_items(size: int) -> list[str]:
    """100 distinct agenda items of `size` characters, with text Slack would read as markup if not escaped."""
    items = []
    for number in range(100):
        start = f"Item {number:03d}: R&D <b> asks "
        items.append((start + "plan & review " * (size // 14 + 1))[:size].rstrip() + f" #{number:03d}")
    return items


def left_out_count(text: str) -> int:
    match = re.search(r"…and (\d+) more agenda items: `/sitdown agenda` in this channel shows them all", text)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("size", [40, 480])
def test_a_hundred_item_agenda_is_read_whole_in_the_answer_and_the_reminder(running_bot: RunningBot, size: int) -> None:
    bot = running_bot
    create_series(bot, **WEEKLY_AT_TEN)
    bot.dispatch()
    items = agenda_items(size)
    for item in items:
        bot.services.sitdown.add_agenda_in_channel(item, by="UBOB", channel=JOINT_CHANNEL)

    answer = bot.slack.command("/sitdown", "agenda", channel=JOINT_CHANNEL)
    bot.clock.now = REMINDER_TIME
    bot.services.sitdown.tick()
    bot.dispatch()

    shown = read(answer.body)
    assert all(escape(item) in shown for item in items), "the answer shows every item whole"
    assert "more agenda items" not in shown
    (reminder,) = [m for m in bot.fake.calls_to("chat.postMessage") if "starts in" in m["text"]]
    in_reminder = read(reminder)
    missing = [item for item in items if escape(item) not in in_reminder]
    assert missing == items[len(items) - len(missing) :], "the reminder leaves out only the last items"
    assert left_out_count(in_reminder) == len(missing), "and says how many, and where they all are"


def test_an_agenda_too_long_for_one_answer_goes_on_in_more_messages(running_bot: RunningBot) -> None:
    bot = running_bot
    create_series(bot, **WEEKLY_AT_TEN)
    bot.dispatch()
    items = [f"#{n:03d} " + "&" * 480 + f" end of {n:03d}" for n in range(100)]  # 2,400 characters once escaped
    for item in items:
        bot.services.sitdown.add_agenda_in_channel(item, by="UBOB", channel=JOINT_CHANNEL)

    before = len(bot.fake.calls_to("response_url"))
    answer = bot.slack.command("/sitdown", "agenda", channel=JOINT_CHANNEL)
    parts = wait_for(lambda: bot.fake.calls_to("response_url")[before:])
    bot.clock.now = REMINDER_TIME
    bot.services.sitdown.tick()
    bot.dispatch()

    assert answer.status == 200 and not answer.body.get("blocks")
    assert 1 < len(parts) <= 5 and all(part.get("response_type") == "ephemeral" for part in parts)
    shown = read(*parts)
    assert all(escape(item) in shown for item in items)
    assert [int(n) for n in re.findall(r"• #(\d{3}) ", shown)] == list(range(100)), "in order"
    (reminder,) = [m for m in bot.fake.calls_to("chat.postMessage") if "starts in" in m["text"]]
    in_reminder = read(reminder)
    missing = [item for item in items if escape(item) not in in_reminder]
    assert missing and left_out_count(in_reminder) == len(missing)
    assert len(reminder["blocks"]) <= 50


def test_long_meeting_notes_are_shared_whole_and_open_whole_in_their_form(running_bot: RunningBot) -> None:
    bot = running_bot
    create_series(bot, **WEEKLY_AT_TEN)
    bot.clock.now = AFTER_THE_MEETING
    bot.services.sitdown.tick()
    bot.dispatch()
    notes_button = bot.fake.calls_to("chat.postMessage")[-1]["blocks"][1]["elements"][1]
    line = "Agreed: SSO first & the CRM <later>, ask <@U999> 🚀 then "
    notes = "\n".join(f"{n:02d}. {line}" for n in range(60))
    notes = notes[:2700].rstrip() + " — the end."
    notes += "." * (2900 - length(notes))
    assert length(notes) == 2900 and len(notes) < 2900  # 2,900 in UTF-16 units: the emoji count twice

    opened = len(bot.fake.calls_to("views.open"))
    bot.slack.action("sitdown_add_notes", notes_button["value"], user="UBOB", channel=JOINT_CHANNEL)
    saved = bot.slack.submit(opened_view(bot, opened + 1), {"notes": notes}, user="UBOB")
    bot.clock.advance(seconds=5)
    bot.dispatch()
    bot.slack.action("sitdown_add_notes", notes_button["value"], user="UBOB", channel=JOINT_CHANNEL)
    reopened = opened_view(bot, opened + 2)

    assert saved.body["response_action"] == "update", saved.body
    shared = bot.fake.calls_to("chat.postMessage")[-1]
    assert shared["channel"] == JOINT_CHANNEL and len(shared["blocks"]) > 2
    body = "\n".join(mrkdwn_texts(shared["blocks"][1:]))
    assert without_spaces(body) == without_spaces(escape(notes))
    assert "<later>" not in body and "<@U999>" not in body
    field = next(b for b in reopened["blocks"] if b.get("block_id") == "notes")["element"]
    assert field["initial_value"] == notes and field["max_length"] >= length(notes)


def test_a_term_with_twelve_long_acronyms_survives_an_unchanged_edit(running_bot: RunningBot) -> None:
    bot = running_bot
    acronyms = [f"ACR{n:02d}-" + "x" * 74 for n in range(11)] + ["RKT" + "🚀" * 77]  # 80 characters each
    before = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/jargon", "add Long-named thing")
    added = bot.slack.submit(
        wait_for(lambda: bot.fake.calls_to("views.open")[before:])[-1]["view"],
        {
            "name": "Long-named thing",
            "acronyms": ", ".join(acronyms),
            "aliases": "",
            "side_1": ("select", "it"),
            "definition_1": "Something with many names. " * 25,
            "side_2": ("select", ""),
            "definition_2": "",
        },
    )
    assert added.body["response_action"] == "update", added.body

    before = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/jargon", "edit Long-named thing")
    view = wait_for(lambda: bot.fake.calls_to("views.open")[before:])[-1]["view"]
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        if element["type"] == "plain_text_input":
            values[block["block_id"]] = element.get("initial_value", "")
        else:
            values[block["block_id"]] = ("select", (element.get("initial_option") or {}).get("value", ""))
    acronyms_field = next(b for b in view["blocks"] if b.get("block_id") == "acronyms")["element"]
    saved = bot.slack.submit(view, values)

    assert acronyms_field["initial_value"] == ", ".join(acronyms)
    assert acronyms_field["max_length"] >= length(acronyms_field["initial_value"])
    assert saved.body["response_action"] == "update", saved.body
    entry = bot.services.glossary.lookup("Long-named thing")
    assert getattr(entry, "acronyms", None) == tuple(acronyms)
    shown = bot.slack.command("/jargon", "Long-named thing").text
    assert all(escape(acronym) in shown for acronym in acronyms), "and every one is shown"


def test_a_long_abstract_reaches_the_channel_whole(running_bot: RunningBot) -> None:
    abstract = "&" * 500 + " " + "<>" * 249 + "!"  # 1,000 characters, 4,494 once escaped: two sections
    plan_session(running_bot, abstract=abstract)
    running_bot.dispatch()

    (card,) = [m for m in running_bot.fake.calls_to("chat.postMessage") if m["channel"] == JOINT_CHANNEL]
    assert without_spaces(escape(abstract)) in without_spaces(read(card))


def test_intake_answers_are_whole_in_status_and_the_card_says_where_to_read_them(running_bot: RunningBot) -> None:
    bot = running_bot
    answers = {
        field: (f"{field}: R&D <needs> " + "more words & details " * 200)[:3000]
        for field in ("business_case", "outcomes", "audiences", "data_needed", "integrations", "new_vendors")
    }
    intake_id = submit_intake(bot, {**FORM, **answers})
    bot.dispatch()

    status = bot.slack.command("/newproject", f"status {intake_id}", user="UIVAN")
    card = next(m for m in bot.fake.calls_to("chat.postMessage") if m["text"].startswith("New project"))

    shown = without_spaces(read(status.body))
    assert all(without_spaces(escape(text)) in shown for text in answers.values())
    assert f"`/newproject status {intake_id}` shows them whole" in read(card)


def markup_pieces() -> st.SearchStrategy[str]:
    tokens = st.sampled_from(
        [
            "<@U123ABC>",
            "<#C0456|general>",
            "<!here>",
            "<!date^1700000000^{date_short_pretty} at {time}|2023-11-14 22:13 UTC>",
            "<https://example.com/a?b=1&amp;c=2|the plan & more>",
            "😀",
            "e\u0301",
            "👩\u200d💻",
            " ",
            "\n",
        ]
    )
    return st.lists(tokens | st.text(max_size=12).map(escape), max_size=30).map("".join)


WHOLE_TOKENS = re.compile(r"(?:[^<>&]|&(?:amp|lt|gt);|<[^<>]*>)*", re.DOTALL)


def both_measures(text: str) -> int:
    return max(len(text), len(text.encode("utf-16-le", "surrogatepass")) // 2)


@example(text="\U00011300", limit=1)  # a lone combining mark, two UTF-16 units: only the ellipsis fits
@given(markup_pieces(), st.integers(min_value=1, max_value=120))
def test_the_safe_cut_never_leaves_half_a_token_nor_goes_over_in_either_measure(text: str, limit: int) -> None:
    result = cut(text, limit)

    assert both_measures(result) <= limit and len(result) <= limit
    if both_measures(text) <= limit:
        assert result == text
    else:
        kept = result.removesuffix("…")
        assert result.endswith("…") and text.startswith(kept)
        assert WHOLE_TOKENS.fullmatch(kept), f"a partial escape or <…> in {kept!r}"
        after = text[len(kept) : len(kept) + 1]
        torn = kept and (kept.endswith("\u200d") or after == "\u200d" or unicodedata.category(after or "x") == "Mn")
        assert not torn, "no accent or joiner torn from its character (nothing is kept: nothing is torn)"


@given(markup_pieces(), st.integers(min_value=80, max_value=400))
def test_splitting_keeps_every_piece_within_the_limit_and_every_token_whole(text: str, limit: int) -> None:
    pieces = split_mrkdwn(text, limit)

    assert all(both_measures(piece) <= limit for piece in pieces)
    assert all(WHOLE_TOKENS.fullmatch(piece) for piece in pieces)
    assert without_spaces("".join(pieces)) == without_spaces(text)
