"""Cards that follow state, over signed HTTP: the intake announcement offers only what its status allows, and a
full lunch-and-learn card offers the waitlist instead of a seat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.newproject_rules import ADMIN_OVERRIDE_NOTE
from storage.newproject import NewProjectEvent
from tests.conftest import ADMIN, IT_CHANNEL, JOINT_CHANNEL, RunningBot
from tests.slack_requests import number
from tests.test_lunchlearn_slack import click as lunch_click
from tests.test_lunchlearn_slack import plan_session, text_of
from tests.test_newproject_flow import (
    IT_PERSON,
    REQUESTER,
    actions_of,
    buttons,
    click,
    intake_row,
    opened_view,
    outbox_count,
    submit_intake,
)

EVERY_BUTTON = {"newproject_claim", "newproject_ask", "newproject_review", "newproject_approve", "newproject_decline"}
WAITS = "Approval for planning waits for the privacy/security review"


def announced_intake(bot: RunningBot) -> int:
    """An intake whose announcement is posted, so each change updates it in place."""
    intake_id = submit_intake(bot)
    bot.dispatch()
    return intake_id


def latest_card(bot: RunningBot) -> dict[str, Any]:
    """The announcement as Slack shows it now: its latest update, else the post itself."""
    bot.dispatch()
    updates = [c for c in bot.fake.calls_to("chat.update") if c["channel"] == IT_CHANNEL]
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == IT_CHANNEL]
    return (updates or posts)[-1]


def events_of(bot: RunningBot, intake_id: int) -> list[tuple[str, str, str]]:
    with bot.services.sessions() as session:
        statement = select(NewProjectEvent).where(NewProjectEvent.intake_id == intake_id).order_by(NewProjectEvent.id)
        return [(e.action, e.actor, e.note) for e in session.scalars(statement)]


def labels(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def signup_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    elements = [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]
    return [e for e in elements if e["action_id"] == "lunchlearn_signup"]


def lunch_card(bot: RunningBot) -> dict[str, Any]:
    bot.dispatch()
    updates = [c for c in bot.fake.calls_to("chat.update") if c["channel"] == JOINT_CHANNEL]
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == JOINT_CHANNEL]
    return (updates or posts)[-1]


# --- the intake announcement ---------------------------------------------------------------------------------


def test_a_new_intake_offers_everything_and_a_taken_one_no_longer_offers_to_take_it(it_bot: RunningBot) -> None:
    bot = it_bot
    intake_id = announced_intake(bot)
    assert set(buttons(latest_card(bot))) == EVERY_BUTTON

    assert "You're the IT contact" in click(bot, "newproject_claim", intake_id, IT_PERSON)
    card = latest_card(bot)

    assert card["ts"] == "1700000000.000001" and f"IT contact: <@{IT_PERSON}>" in str(card["blocks"])
    assert set(buttons(card)) == EVERY_BUTTON - {"newproject_claim"}
    assert "I'll take it" not in labels(card)


def test_in_review_approval_is_not_offered_and_a_non_admin_approve_is_refused_and_changes_nothing(
    it_bot: RunningBot,
) -> None:
    bot = it_bot
    intake_id = announced_intake(bot)
    click(bot, "newproject_claim", intake_id, IT_PERSON)
    assert "privacy/security review" in click(bot, "newproject_review", intake_id, IT_PERSON)
    card = latest_card(bot)
    assert set(buttons(card)) == {"newproject_ask", "newproject_decline"}
    assert "Approve for planning" not in labels(card) and WAITS in str(card["blocks"])
    updates, outbox = len(bot.fake.calls_to("chat.update")), outbox_count(bot)

    refused = click(bot, "newproject_approve", intake_id, IT_PERSON)  # an old card's button, or Home's
    bot.dispatch()

    assert "waits for the privacy/security review" in refused and "'replace_original': False" in refused
    assert intake_row(bot, intake_id).status == "review" and intake_row(bot, intake_id).closed_at is None
    assert actions_of(bot, intake_id) == [("submit", REQUESTER), ("claim", IT_PERSON), ("review", IT_PERSON)]
    assert (len(bot.fake.calls_to("chat.update")), outbox_count(bot)) == (updates, outbox)


def test_an_unclaimed_intake_in_review_may_still_be_taken(it_bot: RunningBot) -> None:
    bot = it_bot
    intake_id = announced_intake(bot)
    click(bot, "newproject_review", intake_id, IT_PERSON)

    card = latest_card(bot)

    assert set(buttons(card)) == {"newproject_claim", "newproject_ask", "newproject_decline"}
    assert WAITS in str(card["blocks"])


def taken(bot: RunningBot, *, then: str = "") -> int:
    """An announced intake that IT_PERSON (in the IT channel) has taken, and then `then` ("review") if given."""
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    intake_id = announced_intake(bot)
    click(bot, "newproject_claim", intake_id, IT_PERSON)
    if then:
        click(bot, f"newproject_{then}", intake_id, IT_PERSON)
    return intake_id


def test_a_bot_admin_may_approve_over_an_open_review_and_the_history_says_so(running_bot: RunningBot) -> None:
    bot = running_bot
    intake_id = taken(bot, then="review")

    assert "approved for planning" in click(bot, "newproject_approve", intake_id, ADMIN)
    card = latest_card(bot)

    assert intake_row(bot, intake_id).status == "approved"
    assert events_of(bot, intake_id)[-1] == ("approve", ADMIN, ADMIN_OVERRIDE_NOTE)
    assert "while the privacy/security review was still open" in str(card["blocks"])
    assert not buttons(card) and WAITS not in str(card["blocks"])
    status = bot.slack.command("/newproject", f"status {intake_id}", user=REQUESTER)
    assert ADMIN_OVERRIDE_NOTE in status.text


def test_a_normal_approval_records_no_override(running_bot: RunningBot) -> None:
    bot = running_bot
    intake_id = taken(bot)
    click(bot, "newproject_approve", intake_id, ADMIN)

    assert intake_row(bot, intake_id).status == "approved"
    assert [note for _action, _actor, note in events_of(bot, intake_id)] == ["", "", ""]


def test_decided_intakes_show_their_outcome_and_no_buttons(it_bot: RunningBot) -> None:
    bot = it_bot
    outcomes: dict[str, dict[str, Any]] = {}

    approved = announced_intake(bot)
    click(bot, "newproject_claim", approved, IT_PERSON)
    click(bot, "newproject_approve", approved, IT_PERSON)
    outcomes["Approved for planning"] = latest_card(bot)

    declined = announced_intake(bot)
    bot.slack.action("newproject_decline", str(declined), user=IT_PERSON, channel=IT_CHANNEL)
    bot.slack.submit(opened_view(bot, "newproject_decline"), {"note": "Q1 is frozen."}, user=IT_PERSON)
    outcomes["Not now"] = latest_card(bot)

    withdrawn = announced_intake(bot)
    bot.slack.command("/newproject", f"withdraw {withdrawn}", user=REQUESTER)  # asks first …
    click(bot, "newproject_withdraw_yes", withdrawn, REQUESTER)  # … and withdraws on Yes
    outcomes["Withdrawn"] = latest_card(bot)

    for label, card in outcomes.items():
        assert card["ts"] and label in str(card["blocks"]), label
        assert not [b for b in card["blocks"] if b["type"] == "actions"], label
        assert WAITS not in str(card["blocks"]), label
    assert [intake_row(bot, i).status for i in (approved, declined, withdrawn)] == ["approved", "declined", "withdrawn"]


# --- the lunch-and-learn card --------------------------------------------------------------------------------


def test_a_card_with_seats_offers_sign_up_and_a_full_one_the_waitlist_through_the_same_button(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    session_id = plan_session(bot, capacity=number("1"))
    [open_seat] = signup_buttons(lunch_card(bot))
    assert (open_seat["text"]["text"], open_seat.get("style")) == ("Sign up", "primary")

    lunch_click(bot, "lunchlearn_signup", str(session_id), "UBOB")
    full = lunch_card(bot)
    [waitlist] = signup_buttons(full)
    assert "1/1" in text_of(full)
    assert (waitlist["text"]["text"], waitlist["value"], "style" in waitlist) == (
        "Join the waitlist",
        str(session_id),
        False,
    )
    assert "Sign up" not in [e["text"]["text"] for e in signup_buttons(full)]

    answer = lunch_click(bot, "lunchlearn_signup", str(session_id), "UCAROL")  # the same listener
    assert "#1 on the waitlist" in str(answer)
    listed = bot.slack.command("/lunchlearn", "list", user="UDAN")
    assert "Join the waitlist" in str(listed.body) and "'Sign up'" not in str(listed.body)

    lunch_click(bot, "lunchlearn_withdraw", str(session_id), "UBOB")  # UCAROL moves up: still full
    assert signup_buttons(lunch_card(bot))[0]["text"]["text"] == "Join the waitlist"
    lunch_click(bot, "lunchlearn_withdraw", str(session_id), "UCAROL")
    emptied = lunch_card(bot)
    [again] = signup_buttons(emptied)
    assert "0/1" in text_of(emptied) and (again["text"]["text"], again.get("style")) == ("Sign up", "primary")
