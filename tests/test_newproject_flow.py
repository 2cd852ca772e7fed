"""/newproject through the real app over HTTP: what Slack sends, what Slack receives, what the database holds."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import func, select

from bot.newproject_rules import IntakeDraft
from storage.models import OutboxMessage
from storage.newproject import NewProjectEvent, NewProjectIntake
from tests.conftest import ADMIN, IT_CHANNEL, RunningBot, wait_for
from tests.slack_requests import date, user, users

REQUESTER, IT_PERSON, OUTSIDER = "UMIA", "UIVAN", "UBOB"
HOSTILE = "<!channel> ask <@UBOSS> & see <https://evil.example|the brief>"
MARKUP = ("<!channel>", "<@UBOSS>", "<https://evil")

FORM: dict[str, Any] = {
    "name": "Loyalty app",
    "business_case": "Repeat customers buy more.",
    "outcomes": "+15% repeat purchases by June",
    "launch_date": date("2027-02-01"),
    "audiences": "Existing customers; email",
    "data_needed": "Purchase history from the web shop",
    "personal_data": ("select", "yes"),
    "integrations": "CRM",
    "new_vendors": "Typeform",
    "budget": ("select", "5k_25k"),
    "owner": user(REQUESTER),
    "stakeholders": users(["USTAKE"]),
}


# --- helpers ---------------------------------------------------------------------------------------------------


def opened_view(bot: RunningBot, callback_id: str) -> dict[str, Any]:
    views = wait_for(
        lambda: [c["view"] for c in bot.fake.calls_to("views.open") if c["view"]["callback_id"] == callback_id]
    )
    return views[-1]


def submit_intake(bot: RunningBot, form: dict[str, Any] | None = None, *, by: str = REQUESTER) -> int:
    bot.slack.command("/newproject", user=by)
    reply = bot.slack.submit(opened_view(bot, "newproject_intake"), form or FORM, user=by)
    assert reply.body["response_action"] == "update", reply.body
    with bot.services.sessions() as session:
        return int(session.scalar(select(func.max(NewProjectIntake.id))) or 0)


def announcement(bot: RunningBot) -> dict[str, Any]:
    return next(c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == IT_CHANNEL)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def click(bot: RunningBot, action_id: str, intake_id: int, by: str) -> str:
    """Click a button on the announcement; the ephemeral answer's text."""
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(action_id, str(intake_id), user=by, channel=IT_CHANNEL)
    return str(wait_for(lambda: bot.fake.calls_to("response_url")[before:])[0])


def dms_to(bot: RunningBot, user_id: str) -> list[dict[str, Any]]:
    return [c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == user_id]


def intake_row(bot: RunningBot, intake_id: int) -> NewProjectIntake:
    with bot.services.sessions() as session:
        return session.get_one(NewProjectIntake, intake_id)


def actions_of(bot: RunningBot, intake_id: int) -> list[tuple[str, str]]:
    with bot.services.sessions() as session:
        rows = session.scalars(select(NewProjectEvent).where(NewProjectEvent.intake_id == intake_id))
        return [(e.action, e.actor) for e in rows]


def outbox_count(bot: RunningBot) -> int:
    with bot.services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def rendered_markup(value: Any) -> list[str]:
    """Every text Slack parses for markup (mrkdwn objects and the fallback `text`), plain_text excluded."""
    if isinstance(value, dict):
        own = [value["text"]] if isinstance(value.get("text"), str) and value.get("type") != "plain_text" else []
        return own + [t for v in value.values() for t in rendered_markup(v)]
    if isinstance(value, list):
        return [t for v in value for t in rendered_markup(v)]
    return []


# --- the life of an intake -------------------------------------------------------------------------------------


def test_full_life_submit_announce_claim_question_approve(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = ["UOTHER", IT_PERSON]

    ack = bot.slack.command("/newproject", user=REQUESTER)
    view = opened_view(bot, "newproject_intake")
    owner = next(b for b in view["blocks"] if b.get("block_id") == "owner")
    reply = bot.slack.submit(view, FORM, user=REQUESTER)

    assert ack.status == 200 and not ack.body
    assert owner["element"]["initial_user"] == REQUESTER
    assert "intake #1" in str(reply.body["view"]) and "days* before launch" in str(reply.body["view"])
    bot.dispatch()
    post = announcement(bot)
    text = str(post["blocks"])
    assert "Loyalty app" in text and f"<@{REQUESTER}>" in text and "personal data" in text and "new vendor" in text
    assert set(buttons(post)) == {
        "newproject_claim",
        "newproject_ask",
        "newproject_review",
        "newproject_approve",
        "newproject_decline",
    }

    assert "You're the IT contact" in click(bot, "newproject_claim", 1, IT_PERSON)
    bot.dispatch()
    claimed = bot.fake.calls_to("chat.update")[-1]
    assert (claimed["channel"], claimed["ts"]) == (IT_CHANNEL, "1700000000.000001")
    assert f"IT contact: <@{IT_PERSON}>" in str(claimed["blocks"]) and "took it" in str(claimed["blocks"])
    assert "took it" in str(dms_to(bot, REQUESTER)[-1]["blocks"])

    bot.slack.action("newproject_ask", "1", user=IT_PERSON, channel=IT_CHANNEL)
    asked = bot.slack.submit(opened_view(bot, "newproject_question"), {"note": "Which CRM fields?"}, user=IT_PERSON)
    assert asked.body["response_action"] == "update"
    bot.dispatch()
    thread = next(c for c in bot.fake.calls_to("chat.postMessage") if c.get("thread_ts"))
    assert (thread["channel"], thread["thread_ts"]) == (IT_CHANNEL, "1700000000.000001")
    assert "Which CRM fields?" in str(thread["blocks"]) and f"<@{REQUESTER}>" in str(thread["blocks"])
    assert "Which CRM fields?" in str(dms_to(bot, REQUESTER)[-1]["blocks"])

    assert "approved for planning" in click(bot, "newproject_approve", 1, IT_PERSON)
    bot.dispatch()
    final = bot.fake.calls_to("chat.update")[-1]
    assert "Approved for planning" in str(final["blocks"]) and not buttons(final)

    row = intake_row(bot, 1)
    assert (row.status, row.it_contact, row.requested_by, row.owner_id) == ("approved", IT_PERSON, REQUESTER, REQUESTER)
    assert (row.personal_data, row.budget, row.stakeholders, row.new_vendors) == (
        "yes",
        "5k_25k",
        ["USTAKE"],
        "Typeform",
    )
    assert row.claimed_at == bot.clock() and row.closed_at == bot.clock()
    assert actions_of(bot, 1) == [
        ("submit", REQUESTER),
        ("claim", IT_PERSON),
        ("question", IT_PERSON),
        ("approve", IT_PERSON),
    ]
    status = bot.slack.command("/newproject", "status 1", user=REQUESTER)
    assert "Which CRM fields?" in status.text and "approved it for planning" in status.text


def test_a_non_it_clicker_is_refused_and_nothing_changes(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    intake_id = submit_intake(bot)
    bot.dispatch()
    sent_before, outbox_before = len(bot.fake.calls_to("chat.postMessage")), outbox_count(bot)

    answers = [click(bot, action, intake_id, OUTSIDER) for action in ("newproject_claim", "newproject_approve")]
    answers.append(click(bot, "newproject_review", intake_id, OUTSIDER))
    answers.append(click(bot, "newproject_decline", intake_id, OUTSIDER))
    bot.dispatch()

    assert all("Only members of <#CITINTAKE>" in a for a in answers)
    assert all("'replace_original': False" in a for a in answers)
    assert intake_row(bot, intake_id).status == "new" and intake_row(bot, intake_id).it_contact is None
    assert actions_of(bot, intake_id) == [("submit", REQUESTER)]
    assert (len(bot.fake.calls_to("chat.postMessage")), outbox_count(bot)) == (sent_before, outbox_before)
    assert not [c for c in bot.fake.calls_to("views.open") if c["view"]["callback_id"] == "newproject_decline"]
    assert "IT contact" in click(bot, "newproject_claim", intake_id, ADMIN)  # bot admins may, without membership


def test_anyone_may_ask_a_question_but_it_must_not_be_empty(running_bot: RunningBot) -> None:
    bot = running_bot
    intake_id = submit_intake(bot)
    bot.dispatch()

    bot.slack.action("newproject_ask", str(intake_id), user=OUTSIDER, channel=IT_CHANNEL)
    view = opened_view(bot, "newproject_question")
    empty = bot.slack.submit(view, {"note": "  "}, user=OUTSIDER)
    asked = bot.slack.submit(view, {"note": "Is this the spring one?"}, user=OUTSIDER)
    bot.dispatch()

    assert empty.body["response_action"] == "errors" and "question" in empty.body["errors"]["note"]
    assert asked.body["response_action"] == "update"
    assert actions_of(bot, intake_id) == [("submit", REQUESTER), ("question", OUTSIDER)]
    assert intake_row(bot, intake_id).status == "new"
    assert "Is this the spring one?" in str(dms_to(bot, REQUESTER)[-1]["blocks"])


def test_membership_is_read_page_by_page(running_bot: RunningBot) -> None:
    bot = running_bot
    pages = {"": {"members": ["UA"], "next": "page2"}, "page2": {"members": [IT_PERSON], "next": ""}}

    def members(body: dict[str, Any]) -> dict[str, Any]:
        page = pages[body.get("cursor") or ""]
        return {"ok": True, "members": page["members"], "response_metadata": {"next_cursor": page["next"]}}

    bot.fake.answers["conversations.members"] = members
    intake_id = submit_intake(bot)

    assert "IT contact" in click(bot, "newproject_claim", intake_id, IT_PERSON)
    assert len(bot.fake.calls_to("conversations.members")) == 2


def test_not_now_needs_a_reason_which_reaches_the_requester(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    intake_id = submit_intake(bot)
    bot.dispatch()

    bot.slack.action("newproject_decline", str(intake_id), user=IT_PERSON, channel=IT_CHANNEL)
    view = opened_view(bot, "newproject_decline")
    empty = bot.slack.submit(view, {"note": ""}, user=IT_PERSON)
    assert empty.body["response_action"] == "errors" and "reason" in empty.body["errors"]["note"]
    assert intake_row(bot, intake_id).status == "new"

    done = bot.slack.submit(view, {"note": "Q1 is frozen for the ERP migration."}, user=IT_PERSON)
    bot.dispatch()

    assert done.body["response_action"] == "update"
    assert intake_row(bot, intake_id).status == "declined"
    assert "Q1 is frozen" in str(dms_to(bot, REQUESTER)[-1]["blocks"])
    update = bot.fake.calls_to("chat.update")[-1]
    assert "Not now" in str(update["blocks"]) and "Q1 is frozen" in str(update["blocks"]) and not buttons(update)
    again = click(bot, "newproject_claim", intake_id, IT_PERSON)
    assert "already closed" in again


def test_review_marks_the_intake_and_approval_waits_for_it(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    intake_id = submit_intake(bot)
    bot.dispatch()

    assert "privacy/security review" in click(bot, "newproject_review", intake_id, IT_PERSON)
    assert "already marked" in click(bot, "newproject_review", intake_id, IT_PERSON)
    bot.dispatch()

    update = bot.fake.calls_to("chat.update")[-1]
    assert "Needs privacy/security review" in str(update["blocks"]) and "newproject_approve" not in buttons(update)
    assert len(bot.fake.calls_to("chat.update")) == 1


def test_the_form_shows_inline_errors_and_stores_nothing(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.command("/newproject", user=REQUESTER)
    view = opened_view(bot, "newproject_intake")

    reply = bot.slack.submit(view, {**FORM, "name": "", "launch_date": date("2026-11-01")}, user=REQUESTER)

    assert reply.body["response_action"] == "errors"
    assert set(reply.body["errors"]) == {"name", "launch_date"}
    assert "in the past" in reply.body["errors"]["launch_date"]
    with bot.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(NewProjectIntake)) == 0
    assert outbox_count(bot) == 0


def test_short_notice_is_flagged_and_the_lead_time_stored(running_bot: RunningBot) -> None:
    bot = running_bot
    intake_id = submit_intake(bot, {**FORM, "launch_date": date("2026-12-13"), "personal_data": ("select", "no")})
    bot.dispatch()

    assert intake_row(bot, intake_id).lead_days == 20
    text = str(announcement(bot)["blocks"])
    assert "short notice" in text and "20 days" in text and "urgent" not in text


# --- follow-up commands ----------------------------------------------------------------------------------------


def test_list_filters_mine_and_unclaimed(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    first = submit_intake(bot, {**FORM, "name": "Loyalty app"})
    submit_intake(bot, {**FORM, "name": "Podcast", "owner": user("UCARL")}, by="UCARL")
    click(bot, "newproject_claim", first, IT_PERSON)

    everything = bot.slack.command("/newproject", "list", user=OUTSIDER).text
    mine = bot.slack.command("/newproject", "list mine", user=REQUESTER).text
    unclaimed = bot.slack.command("/newproject", "list unclaimed", user=IT_PERSON).text
    it_mine = bot.slack.command("/newproject", "list mine", user=IT_PERSON).text

    assert "Loyalty app" in everything and "Podcast" in everything
    assert "Loyalty app" in mine and "Podcast" not in mine
    assert "Podcast" in unclaimed and "Loyalty app" not in unclaimed
    assert "Loyalty app" in it_mine
    assert "None right now" in bot.slack.command("/newproject", "list mine", user=OUTSIDER).text


def test_a_colleague_clicking_take_on_a_taken_intake_hears_who_has_it(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON, "UOLGA"]
    intake_id = submit_intake(bot)
    click(bot, "newproject_claim", intake_id, IT_PERSON)

    answer = click(bot, "newproject_claim", intake_id, "UOLGA")

    assert f"<@{IT_PERSON}> already took it" in answer
    assert intake_row(bot, intake_id).it_contact == IT_PERSON


def test_a_long_list_is_cut_to_fit_and_says_how_many_more(running_bot: RunningBot) -> None:
    bot = running_bot
    form = IntakeDraft(name="Campaign", business_case="Because", launch_date=bot.clock().date(), personal_data="no")
    for number in range(30):
        bot.services.newproject.submit(replace(form, name=f"Campaign {number}"), by=REQUESTER)

    reply = bot.slack.command("/newproject", "list")

    assert "(30)" in reply.text and "and 5 more" in reply.text
    assert reply.text.count("Campaign ") == 25


def test_withdraw_is_for_the_requester_and_updates_the_announcement(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    intake_id = submit_intake(bot)
    bot.dispatch()
    click(bot, "newproject_claim", intake_id, IT_PERSON)
    bot.dispatch()

    refused = bot.slack.command("/newproject", f"withdraw {intake_id}", user=IT_PERSON)
    assert "Only the person who submitted" in refused.text and intake_row(bot, intake_id).status == "claimed"
    asked = bot.slack.command("/newproject", f"withdraw #{intake_id}", user=REQUESTER)  # it asks first
    done = click(bot, "newproject_withdraw_yes", int(buttons(asked.body)["newproject_withdraw_yes"]), REQUESTER)
    bot.dispatch()

    assert "Withdrew" in done and intake_row(bot, intake_id).status == "withdrawn"
    assert "withdrew it" in str(dms_to(bot, IT_PERSON)[-1]["blocks"])
    assert "Withdrawn" in str(bot.fake.calls_to("chat.update")[-1]["blocks"])
    assert "closed" in bot.slack.command("/newproject", f"withdraw {intake_id}", user=REQUESTER).text
    assert "not open any more" not in done
    assert "Loyalty app" not in bot.slack.command("/newproject", "list").text


def test_stats_answer_counts_and_medians(running_bot: RunningBot) -> None:
    bot = running_bot
    assert "No intakes yet" in bot.slack.command("/newproject", "stats").text
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    intake_id = submit_intake(bot, {**FORM, "launch_date": date("2026-12-03")})
    bot.clock.advance(hours=5)
    click(bot, "newproject_claim", intake_id, IT_PERSON)

    stats = bot.slack.command("/newproject", "stats").text

    assert "2026-11" in stats and "1 intake: 1 taken by IT" in stats
    assert "median lead time 10 days" in stats and "median time to IT pickup 5.0 h" in stats


def test_help_unknown_subcommands_bad_ids_and_stale_buttons_get_friendly_answers(running_bot: RunningBot) -> None:
    bot = running_bot
    for typed in ("help", "frobnicate", "list everything", "status", "stats please", "lsit the open ones"):
        reply = bot.slack.command("/newproject", typed)
        assert "/newproject list" in reply.text, typed
    for typed in ("status 42", "status abc", "withdraw 99999999999", "status -1", "status 🚀"):
        assert "There's no intake" in bot.slack.command("/newproject", typed).text, typed
    long = bot.slack.command("/newproject", "x" * 4000)
    assert "I don't know" in long.text and len(long.text) < 3000

    assert "no longer exists" in click(bot, "newproject_claim", 77, ADMIN)
    assert "no longer exists" in click(bot, "newproject_decline", 77, ADMIN)
    assert "closed or gone" in click(bot, "newproject_ask", 77, ADMIN)
    assert "no longer exists" in click(bot, "newproject_approve", 0, ADMIN)
    assert outbox_count(bot) == 0


def test_a_name_typed_after_the_command_opens_the_form_with_it(running_bot: RunningBot) -> None:
    bot = running_bot
    reply = bot.slack.command("/newproject", "Spring webinar & friends", user=REQUESTER)

    view = opened_view(bot, "newproject_intake")
    [name] = [block for block in view["blocks"] if block.get("block_id") == "name"]
    assert reply.text == "" and name["element"]["initial_value"] == "Spring webinar & friends"  # plain text
    submitted = bot.slack.submit(view, {**FORM, "name": "Spring webinar & friends"}, user=REQUESTER)
    assert submitted.body["response_action"] == "update"
    with bot.services.sessions() as session:
        assert list(session.scalars(select(NewProjectIntake.name))) == ["Spring webinar & friends"]


# --- hostile text --------------------------------------------------------------------------------------------


def test_hostile_text_in_every_field_is_stored_as_typed_and_rendered_inert(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    typed = {k: HOSTILE for k, v in FORM.items() if isinstance(v, str)}
    bot.slack.command("/newproject", user=REQUESTER)
    submitted = bot.slack.submit(opened_view(bot, "newproject_intake"), {**FORM, **typed}, user=REQUESTER)
    intake_id = 1
    bot.dispatch()
    click(bot, "newproject_claim", intake_id, IT_PERSON)
    bot.slack.action("newproject_ask", str(intake_id), user=IT_PERSON, channel=IT_CHANNEL)
    bot.slack.submit(opened_view(bot, "newproject_question"), {"note": HOSTILE}, user=IT_PERSON)
    bot.slack.action("newproject_decline", str(intake_id), user=IT_PERSON, channel=IT_CHANNEL)
    bot.slack.submit(opened_view(bot, "newproject_decline"), {"note": HOSTILE}, user=IT_PERSON)
    bot.dispatch()
    replies = [bot.slack.command("/newproject", f"status {intake_id}", user=REQUESTER).body]
    replies.append(bot.slack.command("/newproject", "list", user=REQUESTER).body)
    replies.append(bot.slack.command("/newproject", f"withdraw {intake_id}", user=REQUESTER).body)

    row = intake_row(bot, intake_id)
    assert (row.name, row.business_case, row.new_vendors) == (HOSTILE, HOSTILE, HOSTILE)
    sent = [*bot.fake.calls_to("chat.postMessage"), *bot.fake.calls_to("chat.update")]
    sent += [*bot.fake.calls_to("response_url"), *replies, submitted.body]
    sent += [call["view"] for call in bot.fake.calls_to("views.open")]
    texts = [text for message in sent for text in rendered_markup(message)]
    assert len(sent) >= 8
    for markup in MARKUP:
        assert not [t for t in texts if markup in t], markup
    joined = "\n".join(texts)
    assert joined.count("&lt;!channel&gt;") >= 10  # every field shows up, escaped
    assert "&lt;@UBOSS&gt;" in joined and "&amp; see" in joined
