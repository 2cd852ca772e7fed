"""/lunchlearn over HTTP: signed slash commands, button clicks and form submissions in; what Slack receives
and what the database holds out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from storage.lunchlearn import LunchIdea, LunchRating, LunchSession, LunchSignup
from tests.conftest import ADMIN, JOINT_CHANNEL, RunningBot, wait_for
from tests.slack_requests import number, users

HOSTILE = "<!channel> <@UBOSS> <https://evil.example|the docs>"


def form(bot: RunningBot, **changes: Any) -> dict[str, Any]:
    starts = bot.clock() + timedelta(days=3)
    values: dict[str, Any] = {
        "topic": "Kafka for marketers",
        "abstract": "Events, streams and why your dashboard lags.",
        "presenters": users(["UALICE"]),
        "direction": ("select", "it_to_marketing"),
        "starts_at": {"type": "datetimepicker", "selected_date_time": int(starts.timestamp())},
        "duration": ("select", "45"),
        "place": "Room 4.12",
        "capacity": number("1"),
    }
    values.update(changes)
    return values


def opened_view(bot: RunningBot, before: int = 0) -> dict[str, Any]:
    return wait_for(lambda: len(bot.fake.calls_to("views.open")) > before and bot.fake.calls_to("views.open"))[-1][
        "view"
    ]


def answers_after(bot: RunningBot, before: int) -> dict[str, Any]:
    return wait_for(lambda: len(bot.fake.calls_to("response_url")) > before and bot.fake.calls_to("response_url"))[-1]


def click(bot: RunningBot, action_id: str, value: str, user: str) -> dict[str, Any]:
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(action_id, value, user=user, channel=JOINT_CHANNEL)
    return answers_after(bot, before)


def cancel_session(bot: RunningBot, typed_id: str, user: str) -> str:
    """`/lunchlearn cancel <id>`, then its *Yes, cancel it* (it asks first: tests/test_confirmations.py); the
    answer's text."""
    asked = bot.slack.command("/lunchlearn", f"cancel {typed_id}", user=user)
    yes = buttons(asked.body)["lunchlearn_cancel_yes"]
    return text_of(click(bot, "lunchlearn_cancel_yes", yes, user))


def count(bot: RunningBot, model: Any) -> int:
    with bot.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def plan_session(bot: RunningBot, **changes: Any) -> int:
    before = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/lunchlearn", "new", user="UALICE")
    reply = bot.slack.submit(opened_view(bot, before), form(bot, **changes), user="UALICE")
    assert reply.body["response_action"] == "update", reply.body
    with bot.services.sessions() as session:
        return session.scalar(select(func.max(LunchSession.id)))


def mrkdwn_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [value["text"]] if value.get("type") == "mrkdwn" else []
        return own + [t for v in value.values() for t in mrkdwn_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in mrkdwn_texts(v)]
    return []


def buttons(payload: dict[str, Any]) -> dict[str, str]:
    return {
        e["action_id"]: e["value"] for b in payload.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
    }


def text_of(payload: dict[str, Any]) -> str:
    return str(payload.get("blocks")) + str(payload.get("text"))


def test_help_and_unknown_subcommands_answer_with_help(running_bot: RunningBot) -> None:
    for typed in ("help", "frobnicate", "list everything", "cancel", "idea"):
        reply = running_bot.slack.command("/lunchlearn", typed)
        assert "/lunchlearn new" in reply.text and "/lunchlearn idea" in reply.text, typed
    assert "I don't know `/lunchlearn frobnicate`" in running_bot.slack.command("/lunchlearn", "frobnicate").text
    assert "No lunch & learns are planned yet" in running_bot.slack.command("/lunchlearn", "list").text


def test_new_opens_a_form_and_the_session_is_announced_in_the_joint_channel(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.command("/lunchlearn", "new Kafka for marketers", user="UALICE")
    view = opened_view(bot)
    assert view["blocks"][0]["element"]["initial_value"] == "Kafka for marketers"
    assert view["blocks"][2]["element"]["initial_users"] == ["UALICE"]

    reply = bot.slack.submit(view, form(bot), user="UALICE")
    bot.dispatch()

    assert reply.body["response_action"] == "update" and "Announced in <#CJOINT>" in str(reply.body["view"])
    announcement = bot.fake.calls_to("chat.postMessage")[0]
    assert announcement["channel"] == JOINT_CHANNEL
    assert set(buttons(announcement)) == {"lunchlearn_signup", "lunchlearn_withdraw", "lunchlearn_ics"}
    assert "0/1" in text_of(announcement) and "planned by <@UALICE>" in text_of(announcement)
    with bot.services.sessions() as session:
        stored = session.scalars(select(LunchSession)).one()
    assert (stored.created_by, stored.created_at, stored.capacity, stored.duration_minutes) == (
        "UALICE",
        bot.clock(),
        1,
        45,
    )
    assert stored.starts_at == bot.clock() + timedelta(days=3)


def test_mentions_in_new_prefill_the_presenters(running_bot: RunningBot) -> None:
    running_bot.slack.command("/lunchlearn", "new  SEO basics <@UMIA|mia> <@UIVY> ", user="UALICE")
    view = opened_view(running_bot)
    assert view["blocks"][0]["element"]["initial_value"] == "SEO basics"
    assert view["blocks"][2]["element"]["initial_users"] == ["UMIA", "UIVY"]


def test_a_bad_form_gets_inline_errors_and_nothing_is_stored(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.command("/lunchlearn", "new", user="UALICE")
    past = {"type": "datetimepicker", "selected_date_time": int((bot.clock() - timedelta(hours=1)).timestamp())}
    bad = form(bot, topic="", presenters=users([]), starts_at=past, capacity=number("0"), place="")

    reply = bot.slack.submit(opened_view(bot), bad, user="UALICE")

    assert reply.body["response_action"] == "errors"
    assert set(reply.body["errors"]) == {"topic", "presenters", "starts_at", "capacity", "place"}
    assert count(bot, LunchSession) == 0


def test_signup_waitlist_and_withdrawal_through_the_buttons(running_bot: RunningBot) -> None:
    bot = running_bot
    session_id = plan_session(bot)
    bot.dispatch()

    seated = click(bot, "lunchlearn_signup", str(session_id), "UBOB")
    waiting = click(bot, "lunchlearn_signup", str(session_id), "UCAROL")
    bot.dispatch()
    assert "You're signed up" in text_of(seated) and seated.get("replace_original") is False
    assert "#1 on the waitlist" in text_of(waiting)
    assert "1/1" in text_of(bot.fake.calls_to("chat.update")[-1])

    listing = bot.slack.command("/lunchlearn", "list", user="UCAROL")
    assert "Kafka for marketers" in listing.text and "#1 on the waitlist" in listing.text

    gone = click(bot, "lunchlearn_withdraw", str(session_id), "UBOB")
    bot.dispatch()
    assert "withdrawn" in text_of(gone) and "first person on the waitlist" in text_of(gone)
    promoted = [c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == "UCAROL"]
    assert len(promoted) == 1 and "A seat opened up" in text_of(promoted[0])
    assert "You're signed up" in bot.slack.command("/lunchlearn", "list", user="UCAROL").text


def test_stale_buttons_answer_kindly_and_change_nothing(running_bot: RunningBot) -> None:
    for action_id in ("lunchlearn_signup", "lunchlearn_withdraw", "lunchlearn_ics", "lunchlearn_vote"):
        answer = click(running_bot, action_id, "4242", "UBOB")
        assert "no longer exists" in text_of(answer), action_id
    assert "no longer exists" in text_of(click(running_bot, "lunchlearn_signup", "DROP TABLE", "UBOB"))
    assert count(running_bot, LunchSignup) == 0


def test_hostile_text_is_escaped_wherever_it_is_echoed(running_bot: RunningBot) -> None:
    bot = running_bot
    session_id = plan_session(bot, topic=HOSTILE, place=HOSTILE, abstract=HOSTILE)
    bot.dispatch()
    click(bot, "lunchlearn_signup", str(session_id), "UBOB")
    # Slack sends typed <, > and & encoded, and real mentions as markup: both must come back inert.
    typed = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    idea = bot.slack.command("/lunchlearn", f"idea {typed}", user="UBOB")
    mention = bot.slack.command("/lunchlearn", f"idea {HOSTILE} again", user="UBOB")
    listing = bot.slack.command("/lunchlearn", "list", user="UBOB")
    bot.dispatch()

    echoed = [
        *bot.fake.calls_to("chat.postMessage"),
        *bot.fake.calls_to("response_url"),
        idea.body,
        mention.body,
        listing.body,
    ]
    for payload in echoed:
        for text in [*mrkdwn_texts(payload.get("blocks")), payload.get("text") or ""]:
            assert "<!channel>" not in text and "<@UBOSS>" not in text and "<https://evil" not in text, text
    assert "&lt;!channel&gt;" in text_of(bot.fake.calls_to("chat.postMessage")[0])
    assert "&lt;!channel&gt;" in idea.text
    assert "@channel @UBOSS the docs again" in mention.text
    with bot.services.sessions() as session:
        assert HOSTILE in set(session.scalars(select(LunchIdea.topic)))


def test_cancel_is_refused_to_others_and_tells_everyone_when_a_presenter_cancels(running_bot: RunningBot) -> None:
    bot = running_bot
    session_id = plan_session(bot)
    for user in ("UBOB", "UCAROL"):
        click(bot, "lunchlearn_signup", str(session_id), user)

    refused = bot.slack.command("/lunchlearn", f"cancel {session_id}", user="UBOB")
    assert "Only the session's presenters" in refused.text
    assert "isn't a session number" in bot.slack.command("/lunchlearn", "cancel soon", user="UALICE").text
    assert "no session #999" in bot.slack.command("/lunchlearn", "cancel 999", user=ADMIN).text
    with bot.services.sessions() as session:
        assert session.get(LunchSession, session_id).status == "scheduled"

    done = cancel_session(bot, f"#{session_id}", "UALICE")
    bot.dispatch()

    assert "Cancelled" in done and "2 people" in done
    told = {c["channel"] for c in bot.fake.calls_to("chat.postMessage") if "was cancelled" in text_of(c)}
    assert told == {"UBOB", "UCAROL"}
    assert "nothing to sign up for" in text_of(click(bot, "lunchlearn_signup", str(session_id), "UDAN"))


def test_attendees_rate_by_button_and_can_add_a_comment(running_bot: RunningBot) -> None:
    bot = running_bot
    session_id = plan_session(bot)
    click(bot, "lunchlearn_signup", str(session_id), "UBOB")
    bot.clock.advance(days=3, minutes=50)
    bot.services.lunchlearn.tick()
    bot.dispatch()
    ask = next(c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == "UBOB" and "How useful" in str(c))
    assert buttons(ask)["lunchlearn_rate_4"] == f"{session_id}|4"

    thanks = click(bot, "lunchlearn_rate_4", f"{session_id}|4", "UBOB")
    assert "You rated" in text_of(thanks) and thanks["replace_original"] is True
    opened = len(bot.fake.calls_to("views.open"))  # the planning form was one: wait for the comment form
    bot.slack.action("lunchlearn_comment", str(session_id), user="UBOB")
    reply = bot.slack.submit(opened_view(bot, opened), {"comment": "More diagrams, fewer acronyms"}, user="UBOB")
    bot.dispatch()

    assert reply.body["response_action"] == "update"
    with bot.services.sessions() as session:
        rating = session.scalars(select(LunchRating)).one()
    assert (rating.user_id, rating.score, rating.comment) == ("UBOB", 4, "More diagrams, fewer acronyms")
    summary = [c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == "UALICE" and "Feedback" in str(c)]
    assert len(summary) == 1 and "4.0 / 5" in text_of(summary[0])
    outsider = click(bot, "lunchlearn_rate_5", f"{session_id}|5", "UEVE")
    assert "Only people who had a seat" in text_of(outsider)


def test_ideas_are_posted_voted_listed_by_votes_and_can_become_a_session(running_bot: RunningBot) -> None:
    bot = running_bot
    first = bot.slack.command("/lunchlearn", "idea Cookie consent, explained", user="UALICE")
    bot.slack.command("/lunchlearn", "idea Roadmaps for IT people", user="UBOB")
    again = bot.slack.command("/lunchlearn", "idea roadmaps for IT people!", user="UCAROL")
    bot.dispatch()
    assert "Posted your idea" in first.text and "counted your vote (2)" in again.text
    posts = bot.fake.calls_to("chat.postMessage")
    assert {p["channel"] for p in posts} == {JOINT_CHANNEL}
    idea_id = buttons(posts[0])["lunchlearn_vote"]
    voted = click(bot, "lunchlearn_vote", idea_id, "UDAN")
    twice = click(bot, "lunchlearn_vote", idea_id, "UDAN")
    assert "Counted" in text_of(voted) and "already said" in text_of(twice)

    bot.slack.action("jargon_request", "Customer data platform", user="UEVE")
    wait_for(lambda: bot.fake.calls_to("response_url")[-1] != twice)
    ideas = bot.slack.command("/lunchlearn", "ideas", user="UEVE")
    assert ideas.text.index("Cookie consent") < ideas.text.index("Roadmaps for IT people")  # 2 votes + 1 tie: id
    assert "Customer data platform" in ideas.text and "Suggest Customer data platform" in ideas.text

    bot.slack.action("lunchlearn_present", idea_id, user="UFRED")
    view = opened_view(bot)
    assert view["blocks"][0]["element"]["initial_value"] == "Cookie consent, explained"
    bot.slack.submit(view, form(bot, topic="Cookie consent, explained"), user="UFRED")
    with bot.services.sessions() as session:
        assert session.get(LunchIdea, int(idea_id)).session_id is not None
    assert "Cookie consent" not in bot.slack.command("/lunchlearn", "ideas").text


def test_bad_idea_text_gets_a_friendly_answer_and_stores_nothing(running_bot: RunningBot) -> None:
    bot = running_bot
    assert "characters" in bot.slack.command("/lunchlearn", "idea " + "x" * 4000).text
    assert "in words" in bot.slack.command("/lunchlearn", "idea 🍕🍕 ?!").text
    assert "under 150" in bot.slack.command("/lunchlearn", "idea " + "word " * 40).text
    assert count(bot, LunchIdea) == 0
    sql = bot.slack.command("/lunchlearn", "idea '; DROP TABLE lunchlearn_ideas; --")
    assert "Posted your idea" in sql.text and count(bot, LunchIdea) == 1


def test_add_to_calendar_sends_an_ics_file_by_dm(running_bot: RunningBot) -> None:
    bot = running_bot
    session_id = plan_session(bot)
    answer = click(bot, "lunchlearn_ics", str(session_id), "UBOB")

    assert "calendar file" in text_of(answer)
    assert bot.fake.calls_to("conversations.open")[0]["users"] == "UBOB"
    assert len(bot.fake.uploads) == 1 and b"BEGIN:VCALENDAR" in bot.fake.uploads[0]
    assert b"SUMMARY:Lunch & learn: Kafka for marketers" in bot.fake.uploads[0]
    completed = bot.fake.calls_to("files.completeUploadExternal")[0]
    assert completed["channel_id"] == "DBOB"


def test_add_to_calendar_failure_is_reported(running_bot: RunningBot) -> None:
    bot = running_bot
    session_id = plan_session(bot)
    bot.fake.fail_next("files.getUploadURLExternal", error="not_allowed_token_type")
    answer = click(bot, "lunchlearn_ics", str(session_id), "UBOB")
    assert "couldn't send you the calendar file" in text_of(answer)
