"""The fake Slack is as strict as Slack: each check catches what real Slack refuses (tests/slack_rules.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fake_slack import TRIGGER_SECONDS, FakeSlack
from tests.slack_rules import errors_problems


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A fake Slack of these tests' own: they send what Slack refuses on purpose (conftest's fails on that)."""
    started = FakeSlack().start()
    yield started
    started.stop()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])


def section(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def select(options: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": "pick",
        "options": [{"text": {"type": "plain_text", "text": t}, "value": v} for t, v in options],
    }


def text_input(**element: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "name",
        "label": {"type": "plain_text", "text": "Name"},
        "element": {"type": "plain_text_input", "action_id": "value", **element},
    }


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": blocks, **extra}


BAD_MESSAGES = {
    "an option's text over 75": [section(accessory=select([("x" * 76, "v")]))],
    "an option's value over 150": [section(accessory=select([("x", "v" * 151)]))],
    "a fields item over 2000": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
    "a context text over 2000": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 2001}]}],
    "a block_id twice": [section(block_id="b"), section(block_id="b")],
    "an action_id twice in one block": [
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "A"}, "action_id": "same"},
                {"type": "button", "text": {"type": "plain_text", "text": "B"}, "action_id": "same"},
            ],
        }
    ],
    "a section over 3000 in UTF-16 units (emoji)": [section("😀" * 1501)],
}


@pytest.mark.parametrize("case", list(BAD_MESSAGES))
def test_a_message_slack_would_refuse_is_caught(fake: FakeSlack, client: WebClient, case: str) -> None:
    client.chat_postMessage(channel="C1", text="fallback", blocks=BAD_MESSAGES[case])
    assert fake.problems, case


def test_a_well_formed_message_is_not_caught(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="fine", blocks=[section(block_id="a"), section(block_id="b")])
    assert fake.problems == []


BAD_VIEWS = {
    "a plain_text_input max_length over 3000": modal(
        [text_input(max_length=3001)], submit={"type": "plain_text", "text": "S"}
    ),
    "an initial_value longer than its max_length": modal(
        [text_input(max_length=5, initial_value="too long")], submit={"type": "plain_text", "text": "S"}
    ),
    "input blocks without a submit button": modal([text_input(max_length=10)]),
}


@pytest.mark.parametrize("case", list(BAD_VIEWS))
def test_a_view_slack_would_refuse_is_caught(fake: FakeSlack, client: WebClient, case: str) -> None:
    fake.issue_trigger("t1")
    client.views_open(trigger_id="t1", view=BAD_VIEWS[case])
    assert fake.problems, case


def test_errors_must_name_input_blocks_of_the_view() -> None:
    view = modal([text_input(max_length=10)])
    assert errors_problems(view, {"response_action": "errors", "errors": {"name": "Too short"}}) == []
    assert errors_problems(view, {"response_action": "errors", "errors": {"nome": "Too short"}})


def test_a_trigger_works_once_and_for_three_seconds(fake: FakeSlack, client: WebClient) -> None:
    view = modal([section()])
    fake.issue_trigger("fresh")
    client.views_open(trigger_id="fresh", view=view)
    for trigger in ("fresh", "never issued"):  # used already; unknown
        with pytest.raises(SlackApiError, match="expired_trigger_id"):
            client.views_open(trigger_id=trigger, view=view)
    fake.issue_trigger("old")
    fake.skip(TRIGGER_SECONDS + 0.1)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id="old", view=view)
    assert len(fake.problems) == 3
    fake.problems.clear()


def test_a_method_over_its_rate_tier_gets_429_with_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.allow_throttling = True
    posted = client.chat_postMessage(channel="C1", text="card")
    for _ in range(50):  # chat.update is Tier 3: 50 a minute
        client.chat_update(channel="C1", ts=posted["ts"], text="again")
    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel="C1", ts=posted["ts"], text="once more")
    assert refused.value.response.status_code == 429 and int(refused.value.response.headers["Retry-After"]) >= 1
    assert fake.throttled
    fake.skip(60)
    client.chat_update(channel="C1", ts=posted["ts"], text="a minute later")


def test_refusals_a_test_sets_up(fake: FakeSlack, client: WebClient) -> None:
    fake.not_in_channel.add("CNOTIN")
    fake.missing_channels.add("CGONE")
    fake.missing_scopes.add("users.info")
    for call, error in (
        (lambda: client.chat_postMessage(channel="CNOTIN", text="x"), "not_in_channel"),
        (lambda: client.chat_postMessage(channel="CGONE", text="x"), "channel_not_found"),
        (lambda: client.users_info(user="U1"), "missing_scope"),
    ):
        with pytest.raises(SlackApiError, match=error):
            call()


def test_an_update_of_a_message_never_posted_is_refused(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel="C1", ts="1.2", text="x")
    assert fake.problems
    fake.problems.clear()


def test_a_dm_to_a_user_comes_back_in_its_d_conversation(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="UMIA", text="hi")
    assert posted["channel"] == "DMIA"
    client.chat_update(channel="DMIA", ts=posted["ts"], text="edited")  # updated where it was posted


def test_channel_members_come_in_pages_of_the_limit_asked(fake: FakeSlack, client: WebClient) -> None:
    fake.channel_members["C1"] = [f"U{n}" for n in range(5)]
    first = client.conversations_members(channel="C1", limit=2)
    assert first["members"] == ["U0", "U1"] and first["response_metadata"]["next_cursor"]
    rest = client.conversations_members(channel="C1", limit=10, cursor=first["response_metadata"]["next_cursor"])
    assert rest["members"] == ["U2", "U3", "U4"] and rest["response_metadata"]["next_cursor"] == ""


def test_an_upload_keeps_its_bytes_and_a_file_never_uploaded_is_not_completed(
    fake: FakeSlack, client: WebClient
) -> None:
    client.files_upload_v2(channel="C1", content=b"\x89PNG\r\n\x1a\nbytes", filename="chart.png", title="Chart")
    assert fake.uploads == [b"\x89PNG\r\n\x1a\nbytes"]
    assert fake.calls_to("files.completeUploadExternal")[0]["channel_id"] == "C1"

    with pytest.raises(SlackApiError) as refused:
        client.files_completeUploadExternal(files=[{"id": "FNEVER", "title": "Nothing"}], channel_id="C1")
    assert refused.value.response["error"] == "file_not_found"
    assert fake.problems == ["files.completeUploadExternal of a file whose bytes were never uploaded"]
