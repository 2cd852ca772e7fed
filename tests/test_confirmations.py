"""Act on the thing, not on its id: every destructive or public action asks first (over signed HTTP).

A destructive typed command answers with a confirm step (handlers/confirm.py) and changes nothing until its
"Yes" is clicked; the click runs the usual use case for the clicker in the payload, so someone not allowed is
refused there too, and "Keep it" changes nothing. Every destructive or public button the bot sends carries
Slack's own confirm dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from storage.lunchlearn import LunchSession
from storage.models import Base, Term
from storage.newproject import NewProjectIntake
from storage.sitdown import SitdownSeries
from tests.conftest import ADMIN, IT_CHANNEL, JOINT_CHANNEL, RunningBot, wait_for
from tests.slack_requests import Reply
from tests.test_liaison_commands import join_all, set_up
from tests.test_lunchlearn_slack import click, plan_session
from tests.test_newproject_flow import IT_PERSON, REQUESTER, submit_intake
from tests.test_sitdown_commands import create_series

# --- the typed commands ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One destructive command: how its thing is made, who may and who may not, and how to read its state."""

    name: str
    make: Callable[[RunningBot], str]  # makes the thing; the command's text
    command: str
    yes: str  # the confirm step's "Yes" action id
    owner: str  # who may
    other: str  # who may not
    state: Callable[[RunningBot], Any]  # what the action changes
    done: str  # in the answer once done
    refused: str  # in the answer to `other`


def row_status(model: Any, column: Any) -> Callable[[RunningBot], Any]:
    def read(bot: RunningBot) -> Any:
        with bot.services.sessions() as session:
            return list(session.scalars(select(column).order_by(model.id)))

    return read


def make_series(bot: RunningBot) -> str:
    return f"cancel {create_series(bot, owner='UALICE').id}"


def make_session(bot: RunningBot) -> str:
    session_id = plan_session(bot)
    click(bot, "lunchlearn_signup", str(session_id), "UBOB")
    return f"cancel #{session_id}"


def make_intake(bot: RunningBot) -> str:
    return f"withdraw {submit_intake(bot)}"


def make_member(bot: RunningBot) -> str:
    bot.slack.command("/liaison", "join marketing", user="UBOB")
    return "leave"


def glossary_names(bot: RunningBot) -> list[str]:
    with bot.services.sessions() as session:
        return sorted(session.scalars(select(Term.name)))


CASES = [
    Case(
        "sitdown",
        make_series,
        "/sitdown",
        "sitdown_cancel_yes",
        "UALICE",
        "UBOB",
        row_status(SitdownSeries, SitdownSeries.status),
        "Cancelled",
        "Only the series' owner or a bot admin",
    ),
    Case(
        "lunchlearn",
        make_session,
        "/lunchlearn",
        "lunchlearn_cancel_yes",
        "UALICE",
        "UBOB",
        row_status(LunchSession, LunchSession.status),
        "Cancelled",
        "Only the session's presenters",
    ),
    Case(
        "newproject",
        make_intake,
        "/newproject",
        "newproject_withdraw_yes",
        REQUESTER,
        IT_PERSON,
        row_status(NewProjectIntake, NewProjectIntake.status),
        "Withdrew",
        "Only the person who submitted",
    ),
    Case(
        "liaison",
        make_member,
        "/liaison",
        "liaison_leave_yes",
        "UBOB",
        "UCAROL",  # in no pool: a click of Bob's button can only ever be about the clicker
        lambda bot: bot.services.liaison.side_of("UBOB"),
        "left the liaison pool",
        "weren't in a liaison pool",
    ),
    Case(
        "jargon",
        lambda bot: "delete SQL",
        "/jargon",
        "jargon_delete",
        ADMIN,
        "UBOB",
        glossary_names,
        "Deleted",
        "Only bot admins",
    ),
]


def database(bot: RunningBot) -> dict[str, list[Any]]:
    """Every row of every table, once the bot's after-ack work is done."""
    wait_for(lambda: True)
    with bot.services.engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
            for table in Base.metadata.sorted_tables
        }


def buttons_of(reply: Reply) -> dict[str, dict[str, Any]]:
    return {element["action_id"]: element for element in reply.action_elements}


def answer_to(bot: RunningBot, action_id: str, value: str, user: str) -> dict[str, Any]:
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(action_id, value, user=user, channel=JOINT_CHANNEL)
    return wait_for(lambda: bot.fake.calls_to("response_url")[before:])[-1]


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


@pytest.fixture
def asked(running_bot: RunningBot, case: Case) -> tuple[Reply, dict[str, list[Any]]]:
    """The thing made, and the command typed by its owner: the reply, and the database as it was before it."""
    text = case.make(running_bot)
    before = database(running_bot)
    return running_bot.slack.command(case.command, text, user=case.owner), before


def test_the_command_alone_changes_nothing_and_answers_with_a_confirm_step(
    running_bot: RunningBot, case: Case, asked: tuple[Reply, dict[str, list[Any]]]
) -> None:
    reply, before = asked
    found = buttons_of(reply)
    yes, keep = found[case.yes], found[f"{case.yes}_keep"]

    assert database(running_bot) == before
    assert reply.body.get("response_type", "ephemeral") == "ephemeral"
    assert yes["style"] == "danger" and yes["text"]["text"].startswith("Yes, ")
    assert {"title", "text", "confirm", "deny"} <= set(yes["confirm"])
    assert keep["text"]["text"] == "Keep it" and "confirm" not in keep


def test_yes_does_what_the_command_did(
    running_bot: RunningBot, case: Case, asked: tuple[Reply, dict[str, list[Any]]]
) -> None:
    reply, _before = asked
    state = case.state(running_bot)

    answer = answer_to(running_bot, case.yes, buttons_of(reply)[case.yes]["value"], case.owner)
    running_bot.dispatch()

    assert case.done in str(answer) and answer["replace_original"] is True
    assert case.state(running_bot) != state


def test_keep_it_changes_nothing(
    running_bot: RunningBot, case: Case, asked: tuple[Reply, dict[str, list[Any]]]
) -> None:
    reply, before = asked
    keep = buttons_of(reply)[f"{case.yes}_keep"]

    answer = answer_to(running_bot, keep["action_id"], keep["value"], case.owner)

    assert "nothing was changed" in str(answer) and answer["replace_original"] is True
    assert database(running_bot) == before


def test_someone_not_allowed_clicking_yes_is_refused_and_nothing_changes(
    running_bot: RunningBot, case: Case, asked: tuple[Reply, dict[str, list[Any]]]
) -> None:
    reply, before = asked

    answer = answer_to(running_bot, case.yes, buttons_of(reply)[case.yes]["value"], case.other)

    assert case.refused in str(answer)
    assert database(running_bot) == before


def test_someone_not_allowed_typing_it_is_refused_at_once(running_bot: RunningBot, case: Case) -> None:
    text = case.make(running_bot)
    before = database(running_bot)

    reply = running_bot.slack.command(case.command, text, user=case.other)

    assert case.refused in reply.text and not reply.action_elements
    assert database(running_bot) == before


NAMING_A_THING = [case for case in CASES if case.name != "liaison"]  # leaving names no thing: the clicker leaves


@pytest.mark.parametrize("named", NAMING_A_THING, ids=[case.name for case in NAMING_A_THING])
def test_a_yes_naming_nothing_acts_on_nothing_even_for_someone_allowed(running_bot: RunningBot, named: Case) -> None:
    case = named
    case.make(running_bot)
    before = database(running_bot)

    answers = [answer_to(running_bot, case.yes, value, case.owner) for value in ("0", "abc", "99999999999", "-3")]

    assert database(running_bot) == before
    assert not any(case.done in str(answer) for answer in answers)


# --- every button the bot sends ---------------------------------------------------------------------------------

# What a click removes, cancels, gives up or posts for others to see: Slack asks first (the action id's part before
# a `:`). Not here, with the reason: a form opens first (Edit, Define it, Not now, Ask a question, I'll present it,
# Add…, Away…, the setup), it can be undone by clicking again (Sign up, Mute/Unmute, I'm back, the vote), it is the
# intake's own workflow, seen by those it concerns (Take, Review, Approve), or it marks one's own answer (Accept,
# We met/Not yet, ratings, Done). `lunchlearn_withdraw` asks when it cannot be undone for the person: see below.
DESTRUCTIVE = {
    "sitdown_cancel_yes": "cancels a sit-down series (the step's Yes, and `:object` on the series itself)",
    "sitdown_pause_yes": "pauses a sit-down series and tells its channel",
    "sitdown_skip_meeting": "skips a meeting and tells its channel",
    "lunchlearn_cancel_yes": "cancels a lunch & learn",
    "newproject_withdraw_yes": "withdraws an intake (the typed command's step)",
    "newproject_withdraw": "withdraws an intake (Home)",
    "liaison_leave_yes": "leaves the liaison pool",
    "liaison_decline": "gives a liaison turn away",
    "jargon_delete": "deletes a term",
    "jargon_share": "posts an entry in the channel",
    "jargon_request": "posts a request in a team's channel",
    "lunchlearn_suggest": "posts an idea in the joint channel",
    "jargon_watch_on": "turns the jargon watch on, which tells the channel",
}
SENT = ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url")
SHOWN = ("views.publish", "views.open", "views.update", "views.push")


def buttons_in(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("type") == "button":
            yield value
        for item in value.values():
            yield from buttons_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from buttons_in(item)


def everything(bot: RunningBot) -> list[dict[str, Any]]:
    """A little of every feature, typed, clicked and planned; every message, answer and view the bot sent."""
    replies: list[dict[str, Any]] = []

    def typed(command: str, text: str, user: str) -> None:
        replies.append(bot.slack.command(command, text, user=user, channel=JOINT_CHANNEL).body)

    for text, user in (("SQL", "UALICE"), ("Zorblax pipeline", "UALICE"), ("delete SQL", ADMIN), ("list", "UBOB")):
        typed("/jargon", text, user)
    answer_to(bot, "jargon_request", "Zorblax pipeline", "UALICE")
    bot.fake.channel_members[JOINT_CHANNEL] = ["UALICE", "UBOT"]
    typed("/jargon", "watch on", "UALICE")  # its confirm step comes through the response_url
    session_id = plan_session(bot)
    for user in ("UBOB", "UCAROL", "UDAN"):
        click(bot, "lunchlearn_signup", str(session_id), user)
    typed("/lunchlearn", "idea Kafka for everyone", "UCAROL")
    for text, user in (("list", "UBOB"), ("ideas", "UBOB"), (f"cancel {session_id}", "UALICE")):
        typed("/lunchlearn", text, user)
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    intake_id = submit_intake(bot)
    for text in (f"withdraw {intake_id}", f"status {intake_id}", "list"):
        typed("/newproject", text, REQUESTER)
    series = create_series(bot, owner="UALICE")
    for text in (f"cancel {series.id}", "list", "agenda"):
        typed("/sitdown", text, "UALICE")
    join_all(bot)
    set_up(bot)
    for text in ("leave", "who", "pool"):
        typed("/liaison", text, "UM1")
    bot.dispatch()
    for user in ("UALICE", "UBOB", "UCAROL", REQUESTER, IT_PERSON, "UM1", "UI1", ADMIN):
        bot.slack.open_home(user)
    bot.clock.advance(days=1, hours=6)  # past the sit-down's reminders
    bot.services.sitdown.tick()
    bot.services.lunchlearn.tick()
    bot.dispatch()
    wait_for(lambda: True)
    calls = [call for method in SENT for call in bot.fake.calls_to(method)]
    return [*replies, *calls, *(call["view"] for method in SHOWN for call in bot.fake.calls_to(method))]


def test_every_destructive_or_public_button_the_bot_sends_asks_first(running_bot: RunningBot) -> None:
    found = list(buttons_in(everything(running_bot)))
    destructive = [button for button in found if button["action_id"].split(":")[0] in DESTRUCTIVE]

    assert {button["action_id"].split(":")[0] for button in destructive} == set(DESTRUCTIVE), "each is seen"
    assert len(found) > 3 * len(destructive)
    for button in destructive:
        assert {"title", "text", "confirm", "deny"} <= set(button.get("confirm", {})), button


USERS = ("UBOB", "UCAROL", "UDAN", "UERIN")  # seated, first waiting, last waiting, not signed up


def withdraw_dialog(blocks: Any) -> dict[str, Any] | None:
    withdraw = [button for button in buttons_in(blocks) if button["action_id"] == "lunchlearn_withdraw"]
    assert len(withdraw) == 1, withdraw
    return withdraw[0].get("confirm")


def test_withdraw_asks_first_when_it_cannot_be_undone_for_the_person(running_bot: RunningBot) -> None:
    """A seat with people waiting goes to the first of them, a waitlist place to those behind: signing up again
    would not give either back. The last in line, or someone not signed up, loses nothing."""
    bot = running_bot
    session_id = plan_session(bot)  # one seat
    for user in ("UBOB", "UCAROL", "UDAN"):
        click(bot, "lunchlearn_signup", str(session_id), user)

    listed = {user: withdraw_dialog(bot.slack.command("/lunchlearn", "list", user=user).body) for user in USERS}
    bot.slack.open_home("UBOB")
    home = wait_for(lambda: [c["view"] for c in bot.fake.calls_to("views.publish") if c["user_id"] == "UBOB"])[-1]

    assert listed["UBOB"] is not None and listed["UBOB"]["title"]["text"] == "Give up your seat?"
    assert "2 waiting" in listed["UBOB"]["text"]["text"]
    assert listed["UCAROL"] is not None and listed["UCAROL"]["title"]["text"] == "Leave the waitlist?"
    assert listed["UDAN"] is None and listed["UERIN"] is None
    home_dialog = withdraw_dialog(home["blocks"])
    assert home_dialog is not None and home_dialog["title"]["text"] == "Give up your seat?"
