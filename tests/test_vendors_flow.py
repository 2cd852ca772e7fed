"""The register of outside tools over signed HTTP: intakes name tools, `/newproject vendors` lists them, IT
answers "Same as …?" in the intake's thread and sets statuses; what Slack receives and what the database holds."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.services import Services
from storage.models import OutboxMessage
from storage.vendor_models import VendorQuestionRow, VendorRow, VendorUseRow
from tests.builders import intake_draft
from tests.conftest import ADMIN, IT_CHANNEL, RunningBot, wait_for
from tests.slack_requests import Reply
from tests.test_newproject_flow import FORM, IT_PERSON, OUTSIDER, REQUESTER, dms_to, rendered_markup, submit_intake

OTHER_REQUESTER = "UZOE"


# --- helpers ---------------------------------------------------------------------------------------------------


def name_tools(bot: RunningBot, *answers: str, by: str = REQUESTER) -> list[int]:
    """One intake per answer, through the form; then the announcements and their thread cards are sent."""
    ids = [submit_intake(bot, {**FORM, "new_vendors": answer}, by=by) for answer in answers]
    settle(bot)
    return ids


def settle(bot: RunningBot) -> None:
    """What a minute of the running bot does: send what is queued, plan (cards once announced), send again."""
    bot.dispatch()
    bot.services.vendors.tick()
    bot.dispatch()


def register(bot: RunningBot, text: str = "vendors", *, by: str = IT_PERSON) -> Reply:
    """`/newproject <text>`: its answer, in the acknowledgement or (after asking Slack who is in IT) after it."""
    before = len(bot.fake.calls_to("response_url"))
    reply = bot.slack.command("/newproject", text, user=by)
    assert reply.status == 200
    if reply.body:
        return reply
    answer: dict[str, Any] = wait_for(lambda: bot.fake.calls_to("response_url")[before:])[0]
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    return Reply(200, answer, "")


def entries(bot: RunningBot) -> dict[str, list[int]]:
    """The register as the database holds it: each vendor's name and the intakes that name it."""
    with bot.services.sessions() as session:
        found: dict[str, list[int]] = {}
        for vendor in session.scalars(select(VendorRow).order_by(VendorRow.id)):
            uses = select(VendorUseRow.intake_id).where(VendorUseRow.vendor_id == vendor.id)
            found[vendor.name] = sorted(session.scalars(uses))
        return found


def questions(bot: RunningBot) -> list[tuple[int, str, str]]:
    with bot.services.sessions() as session:
        rows = session.scalars(select(VendorQuestionRow).order_by(VendorQuestionRow.id))
        return [(row.id, row.name, row.status) for row in rows]


def announced_at(bot: RunningBot, intake_id: int) -> str:
    with bot.services.sessions() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.key == f"newproject:{intake_id}:announce"))
        assert row is not None and row.response_ts is not None
        return row.response_ts


def thread_cards(bot: RunningBot, intake_id: int) -> list[dict[str, Any]]:
    ts = announced_at(bot, intake_id)
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.get("thread_ts") == ts]


def card_updates(bot: RunningBot, intake_id: int) -> list[dict[str, Any]]:
    with bot.services.sessions() as session:
        key = f"vendors:intake:{intake_id}:card"
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        assert row is not None and row.response_ts is not None
        ts = row.response_ts
    return [c for c in bot.fake.calls_to("chat.update") if c["ts"] == ts]


def elements(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = [b["accessory"] for b in message["blocks"] if b.get("accessory")]
    return found + [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def click(bot: RunningBot, action_id: str, value: str, by: str) -> str:
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(action_id, value, user=by, channel=IT_CHANNEL)
    return str(wait_for(lambda: bot.fake.calls_to("response_url")[before:])[0])


def choose_status(bot: RunningBot, value: str, by: str) -> str:
    """A choice in a vendor's ⋯ menu, as Slack sends an overflow's block_actions."""
    before = len(bot.fake.calls_to("response_url"))
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": by, "username": by.lower(), "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": "trigger.overflow",
        "channel": {"id": IT_CHANNEL, "name": "it"},
        "container": {"type": "message", "message_ts": "1700000000.000002", "channel_id": IT_CHANNEL},
        "message": {"ts": "1700000000.000002", "text": "", "blocks": []},
        "response_url": bot.fake.response_url(f"overflow{before}"),
        "actions": [
            {
                "type": "overflow",
                "action_id": "vendors_status",
                "block_id": "b",
                "selected_option": {"text": {"type": "plain_text", "text": "Put under review"}, "value": value},
                "action_ts": "1",
            }
        ],
    }
    assert bot.slack.post(urlencode({"payload": json.dumps(payload)})).status == 200
    return str(wait_for(lambda: bot.fake.calls_to("response_url")[before:])[0])


def published_home(bot: RunningBot, user_id: str) -> dict[str, Any]:
    def views() -> list[dict[str, Any]]:
        return [c["view"] for c in bot.fake.calls_to("views.publish") if c["user_id"] == user_id]

    return wait_for(views)[-1]


def vendor_id(bot: RunningBot, name: str) -> int:
    with bot.services.sessions() as session:
        return int(session.scalar(select(VendorRow.id).where(VendorRow.name == name)) or 0)


# --- the bar ---------------------------------------------------------------------------------------------------


def test_three_spellings_give_two_entries_and_a_near_miss_is_asked_in_the_thread(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]

    name_tools(bot, "LoyaltyLion", "Loyalty Lion", "Salesloft")
    listed = register(bot)

    assert entries(bot) == {"LoyaltyLion": [1, 2], "Salesloft": [3]}
    assert "Outside tools (2)" in listed.text
    lines = [b["text"]["text"] for b in listed.body["blocks"] if b["type"] == "section"]
    assert lines[0].startswith("*LoyaltyLion*") and "2 intakes (#1, #2)" in lines[0] and "Proposed" in lines[0]
    assert lines[1].startswith("*Salesloft*") and "1 intake (#3)" in lines[1]
    assert questions(bot) == []

    (fourth,) = name_tools(bot, "LoyaltyLoin")

    assert entries(bot) == {"LoyaltyLion": [1, 2], "Salesloft": [3], "LoyaltyLoin": [4]}
    (card,) = thread_cards(bot, fourth)
    assert card["channel"] == IT_CHANNEL
    assert "Same as *LoyaltyLion*?" in str(card["blocks"]) and "*LoyaltyLoin*" in str(card["blocks"])
    ((question_id, _, status),) = questions(bot)
    buttons = {e["action_id"]: e["value"] for e in elements(card) if e["type"] == "button"}
    assert buttons == {"vendors_same": str(question_id), "vendors_different": str(question_id)}
    assert status == "asked"
    assert "Same as" not in str(thread_cards(bot, 1)), "an exact spelling is never asked about"


def test_yes_merges_the_near_miss_and_the_spelling_joins_directly_afterwards(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    name_tools(bot, "LoyaltyLion, Salesloft", "LoyaltyLoin")
    ((question_id, _, _),) = questions(bot)

    refused = click(bot, "vendors_same", str(question_id), OUTSIDER)
    answered = click(bot, "vendors_same", str(question_id), IT_PERSON)
    again = click(bot, "vendors_different", str(question_id), ADMIN)
    settle(bot)

    assert "Only members of <#CITINTAKE>" in refused
    assert "one entry now" in answered and "answered it already" in again
    assert entries(bot) == {"LoyaltyLion": [1, 2], "Salesloft": [1]}
    assert questions(bot) == [(question_id, "LoyaltyLoin", "same")]
    updated = card_updates(bot, 2)[-1]
    assert "*LoyaltyLoin* is *LoyaltyLion*" in str(updated["blocks"]) and not [
        e for e in elements(updated) if e["type"] == "button"
    ]

    name_tools(bot, "Loyalty-Loin")

    assert entries(bot)["LoyaltyLion"] == [1, 2, 3] and len(questions(bot)) == 1
    assert "3 intakes (#1, #2, #3)" in register(bot).text


def test_no_keeps_them_apart_and_the_name_is_never_asked_about_again(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    name_tools(bot, "LoyaltyLion", "LoyaltyLoin")
    ((question_id, _, _),) = questions(bot)

    answered = click(bot, "vendors_different", str(question_id), ADMIN)  # a bot admin counts as IT
    name_tools(bot, "loyaltyloin.com")

    assert "stays apart" in answered
    assert entries(bot) == {"LoyaltyLion": [1], "LoyaltyLoin": [2, 3]}
    assert questions(bot) == [(question_id, "LoyaltyLoin", "different")]
    assert "Same as" not in str(thread_cards(bot, 3))
    assert "*LoyaltyLoin* is not *LoyaltyLion*" in str(card_updates(bot, 2)[-1]["blocks"])


def test_a_forged_or_unknown_question_changes_nothing(running_bot: RunningBot) -> None:
    bot = running_bot
    name_tools(bot, "LoyaltyLion", "LoyaltyLoin")

    answers = [click(bot, "vendors_same", value, ADMIN) for value in ("999", "x", "-1", "")]

    assert all("That question no longer exists" in answer for answer in answers)
    assert entries(bot) == {"LoyaltyLion": [1], "LoyaltyLoin": [2]}


# --- statuses ----------------------------------------------------------------------------------------------------


def test_it_sets_a_status_from_the_card_and_everyone_whose_intake_names_it_hears(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    name_tools(bot, "LoyaltyLion")
    name_tools(bot, "Loyalty Lion", by=OTHER_REQUESTER)
    lion = vendor_id(bot, "LoyaltyLion")
    (card,) = thread_cards(bot, 1)
    menu = next(e for e in elements(card) if e["type"] == "overflow")
    assert f"{lion}:review" in [o["value"] for o in menu["options"]] and f"{lion}:proposed" not in str(menu)

    refused = choose_status(bot, f"{lion}:approved", OUTSIDER)
    done = choose_status(bot, f"{lion}:review", IT_PERSON)
    same = choose_status(bot, f"{lion}:review", IT_PERSON)
    unknown = choose_status(bot, f"{lion}:maybe", IT_PERSON)
    gone = choose_status(bot, "999:approved", IT_PERSON)
    settle(bot)

    assert "Only members of <#CITINTAKE>" in refused
    assert "under review now" in done and f"<@{REQUESTER}>" in done and f"<@{OTHER_REQUESTER}>" in done
    assert "already under review" in same and "not a status" in unknown and "no longer exists" in gone
    with bot.services.sessions() as session:
        row = session.get_one(VendorRow, lion)
        assert (row.status, row.status_by, row.status_at) == ("review", IT_PERSON, bot.clock())
    for person, intake in ((REQUESTER, "#1"), (OTHER_REQUESTER, "#2")):
        (dm,) = [m for m in dms_to(bot, person) if "register of outside tools" in str(m["blocks"])]
        assert f"<@{IT_PERSON}> marked *LoyaltyLion* under review" in str(dm["blocks"]) and intake in str(dm["blocks"])
    for intake_id in (1, 2):
        updated = card_updates(bot, intake_id)[-1]
        assert "Under review" in str(updated["blocks"])
        menu = next(e for e in elements(updated) if e["type"] == "overflow")
        assert f"{lion}:review" not in str(menu) and f"{lion}:proposed" in str(menu)


def test_the_register_lists_by_status_with_the_menu_for_it_only(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    name_tools(bot, "LoyaltyLion, Typeform and Hotjar")
    hotjar = vendor_id(bot, "Hotjar")

    assert "approved now" in choose_status(bot, f"{hotjar}:approved", IT_PERSON)
    approved = register(bot, "vendors approved")
    as_requester = register(bot, "vendors", by=REQUESTER)
    none = register(bot, "vendors Retired")
    typo = register(bot, "vendors approvd")

    assert "Outside tools: approved (1)" in approved.text and "Hotjar" in approved.text
    assert "Typeform" not in approved.text
    assert [e["type"] for e in elements(approved.body)] == ["overflow"]
    assert "Outside tools (3)" in as_requester.text and not elements(as_requester.body)
    assert "None with that status yet" in none.text
    assert "isn't a status" in typo.text and "`review`" in typo.text


def test_a_long_register_is_trimmed_and_says_how_many_more(running_bot: RunningBot) -> None:
    bot = running_bot
    names = [f"Tool{number:02d}" for number in range(60)]
    for start in range(0, 60, 20):  # an answer gives at most 20 names
        bot.services.newproject.submit(intake_draft(new_vendors=", ".join(names[start : start + 20])), by=REQUESTER)

    listed = register(bot, by=ADMIN)

    assert len(listed.body["blocks"]) <= 50
    assert "Outside tools (60)" in listed.text and "…and 15 more" in listed.text
    assert "Tool00" in listed.text and "Tool59" not in listed.text


def test_user_text_in_tool_names_is_made_inert(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    name_tools(bot, "<!channel> Tool, <@UBOSS>Chat")

    texts = rendered_markup(register(bot).body) + rendered_markup(thread_cards(bot, 1))

    assert not [t for t in texts if "<!channel>" in t or "<@UBOSS>" in t]
    assert any("&lt;!channel&gt; Tool" in t for t in texts)


# --- Home --------------------------------------------------------------------------------------------------------


def test_home_shows_it_the_tools_under_review(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    name_tools(bot, "LoyaltyLion, Salesloft")
    choose_status(bot, f"{vendor_id(bot, 'Salesloft')}:review", IT_PERSON)

    bot.slack.open_home(user=IT_PERSON)
    bot.slack.open_home(user=REQUESTER)
    it_home, requester_home = (published_home(bot, who) for who in (IT_PERSON, REQUESTER))

    assert "Outside tools under review* (1)" in str(it_home) and "Salesloft" in str(it_home)
    assert "LoyaltyLion" not in str(it_home)
    assert "Outside tools under review" not in str(requester_home)


def test_no_intake_naming_a_tool_adds_nothing(running_bot: RunningBot) -> None:
    bot = running_bot
    name_tools(bot, "none", "No.")

    assert entries(bot) == {} and "None yet" in register(bot).text
    with bot.services.sessions() as session:
        assert (
            session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key.like("vendors:%")))
            == 0
        )


def test_intakes_naming_a_new_tool_at_the_same_moment_give_one_entry(services: Services) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        drafts = [intake_draft(name=f"Project {n}", new_vendors="Brand New Tool") for n in range(4)]
        submitted = list(pool.map(lambda draft: services.newproject.submit(draft, by=REQUESTER), drafts))

    page = services.vendors.register()
    assert [(v.name, v.intake_ids) for v in page.vendors] == [("Brand New Tool", sorted(i.id for i in submitted))]


def test_the_card_waits_for_the_announcement_and_is_posted_once(running_bot: RunningBot) -> None:
    bot = running_bot
    submit_intake(bot, {**FORM, "new_vendors": "LoyaltyLion"})

    bot.services.vendors.tick()  # the announcement is not posted yet: nothing to reply to
    with bot.services.sessions() as session:
        waiting = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key.like("vendors:%"))
        )
    settle(bot)
    settle(bot)

    assert waiting == 0
    assert len(thread_cards(bot, 1)) == 1 and not bot.fake.calls_to("chat.update")
