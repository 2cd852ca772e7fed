"""Act on the thing: an intake's *Withdraw* on its status and in its requester's DMs, a session's *Cancel* in
its presenters' Home. Each carries Slack's confirm dialog and runs the typed command's use case for the clicker;
the message stays and the answer goes below it (over signed HTTP)."""

from __future__ import annotations

from typing import Any

from storage.lunchlearn import LunchSession
from tests.conftest import IT_CHANNEL, RunningBot, wait_for
from tests.test_cards_follow_state import taken
from tests.test_confirmations import buttons_in, database
from tests.test_lunchlearn_slack import click as click_session
from tests.test_lunchlearn_slack import plan_session
from tests.test_newproject_flow import (
    IT_PERSON,
    REQUESTER,
    actions_of,
    click,
    dms_to,
    intake_row,
    opened_view,
    submit_intake,
)
from tests.test_sitdown_commands import rows

WITHDRAW = "newproject_withdraw_yes:object"
CANCEL = "lunchlearn_cancel_yes:object"


def by_id(blocks: Any) -> dict[str, dict[str, Any]]:
    return {button["action_id"]: button for button in buttons_in(blocks)}


def test_the_requester_withdraws_from_the_dm_that_told_them_the_news(running_bot: RunningBot) -> None:
    bot = running_bot
    intake_id = taken(bot)
    bot.dispatch()
    (news,) = [dm for dm in dms_to(bot, REQUESTER) if "IT contact" in str(dm["blocks"]) or "took" in str(dm)]
    withdraw = by_id(news["blocks"])[WITHDRAW]
    status = bot.slack.command("/newproject", f"status {intake_id}", user=REQUESTER)
    not_theirs = bot.slack.command("/newproject", f"status {intake_id}", user=IT_PERSON)
    before = database(bot)

    refused = click(bot, WITHDRAW, intake_id, IT_PERSON)
    assert "Only the person who submitted" in refused and database(bot) == before
    done = click(bot, WITHDRAW, int(withdraw["value"]), REQUESTER)
    bot.dispatch()

    assert {"title", "text", "confirm", "deny"} <= set(withdraw["confirm"]) and withdraw["style"] == "danger"
    assert WITHDRAW in by_id(status.body.get("blocks")) and WITHDRAW not in by_id(not_theirs.body.get("blocks"))
    assert "Withdrew" in done and "'replace_original': False" in done
    assert intake_row(bot, intake_id).status == "withdrawn"
    assert "withdrew it" in str(dms_to(bot, IT_PERSON)[-1]["blocks"])
    assert "closed" in click(bot, WITHDRAW, intake_id, REQUESTER)  # a second click changes nothing
    assert WITHDRAW not in by_id(bot.slack.command("/newproject", f"status {intake_id}", user=REQUESTER).body)


def test_a_presenter_cancels_a_session_from_home(running_bot: RunningBot) -> None:
    bot = running_bot
    session_id = plan_session(bot)  # planned by UALICE, who presents it
    click_session(bot, "lunchlearn_signup", str(session_id), "UBOB")
    bot.dispatch()
    bot.slack.open_home("UALICE")
    bot.slack.open_home("UBOB")
    views = {c["user_id"]: c["view"] for c in wait_for(lambda: bot.fake.calls_to("views.publish"))}
    cancel = by_id(views["UALICE"]["blocks"])[CANCEL]
    before = database(bot)

    refused = click_session(bot, CANCEL, cancel["value"], "UBOB")
    forged = [click_session(bot, CANCEL, value, "UALICE") for value in ("0", "abc", "99999")]
    assert database(bot) == before
    bot.slack.home_action(CANCEL, cancel["value"], user="UALICE")
    wait_for(lambda: True)  # the click's work, after its acknowledgement
    bot.dispatch()

    assert CANCEL not in by_id(views["UBOB"]["blocks"])  # a seat is no reason to be offered it
    assert {"title", "text", "confirm", "deny"} <= set(cancel["confirm"]) and "(1)" in cancel["confirm"]["text"]["text"]
    assert "Only the session's presenters" in str(refused)
    assert not any("Cancelled" in str(answer) for answer in forged)
    (session,) = rows(bot, LunchSession)
    assert session.status == "cancelled"
    notice = [c["view"] for c in bot.fake.calls_to("views.publish") if c["user_id"] == "UALICE"][-1]
    assert "Cancelled" in str(notice["blocks"][1])
    assert any(
        "cancelled" in str(dm["blocks"]).lower()
        for dm in bot.fake.calls_to("chat.postMessage")
        if dm["channel"] == "UBOB"
    )


def test_the_requester_replies_to_its_question_from_the_dm_and_the_asker_is_told(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    intake_id = submit_intake(bot)
    bot.dispatch()
    bot.slack.action("newproject_ask", str(intake_id), user="UOLGA", channel=IT_CHANNEL)  # anyone may ask
    bot.slack.submit(opened_view(bot, "newproject_question"), {"note": "Which CRM fields?"}, user="UOLGA")
    bot.dispatch()
    question_dm = dms_to(bot, REQUESTER)[-1]
    reply = by_id(question_dm["blocks"])["newproject_reply"]

    before = len(bot.fake.calls_to("views.open"))
    refused = click(bot, "newproject_reply", intake_id, IT_PERSON)
    assert len(bot.fake.calls_to("views.open")) == before and "Only the person who submitted" in refused
    bot.slack.action(reply["action_id"], reply["value"], user=REQUESTER, channel="DREQUESTER")
    form = opened_view(bot, "newproject_answer")
    forged = bot.slack.submit(form, {"note": "Not mine to answer"}, user=IT_PERSON)
    empty = bot.slack.submit(form, {"note": ""}, user=REQUESTER)
    answered = bot.slack.submit(form, {"note": "Email and <b>consent</b> only"}, user=REQUESTER)
    bot.dispatch()

    assert forged.body["response_action"] == "errors" and empty.body["response_action"] == "errors"
    assert answered.body["response_action"] == "update", answered.body
    thread = [c for c in bot.fake.calls_to("chat.postMessage") if c.get("thread_ts")]
    assert [("asks" in str(c["blocks"]), "answers" in str(c["blocks"])) for c in thread] == [(1, 0), (0, 1)]
    assert thread[-1]["channel"] == IT_CHANNEL and "&lt;b&gt;consent&lt;/b&gt;" in str(thread[-1]["blocks"])
    told = dms_to(bot, "UOLGA")[-1]
    assert "answered a question" in str(told["blocks"]) and "consent" in str(told["blocks"])
    assert [a for a, _ in actions_of(bot, intake_id)] == ["submit", "question", "answer"]
    assert intake_row(bot, intake_id).status == "new"
