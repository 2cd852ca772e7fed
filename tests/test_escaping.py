"""User text never survives as Slack markup: one escape function, property-tested, and hostile input end to end."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from handlers.blocks import command_text, escape, mentioned_users
from tests.conftest import RunningBot, wait_for

MARKUP = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<#C123ABC>",
    "<https://evil.example|bank>",
    "<!subteam^S123|@team>",
    "<mailto:a@b.c|x>",
]


@given(st.lists(st.sampled_from(MARKUP) | st.text(), max_size=8).map("".join))
def test_escaped_text_contains_no_markup_and_reads_back_the_same(typed: str) -> None:
    escaped = escape(typed)

    assert "<" not in escaped and ">" not in escaped
    assert re.search(r"&(?!amp;|lt;|gt;)", escaped) is None, "every & starts an entity Slack decodes"
    assert escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == typed


def test_command_text_reads_slack_encoded_and_plain_mentions() -> None:
    assert command_text("<@U123|mia> and <@U456>") == "@mia and @U456"
    assert command_text("<#C1|general> <!here> <https://x.example|label>") == "#general @here label"
    assert command_text("R&amp;D &lt;b&gt;") == "R&D <b>"
    assert mentioned_users("swap <@U123|mia> <@U456> <@U123>") == ["U123", "U456"]


def test_hostile_lookup_is_echoed_inert(running_bot: RunningBot) -> None:
    hostile = "&lt;!channel&gt; &lt;https://evil.example|SQL&gt; &lt;@U999&gt;"  # as Slack encodes typed text

    reply = running_bot.slack.command("/jargon", hostile)

    assert reply.status == 200
    rendered = reply.text  # every text Slack renders (button values are never shown)
    assert "<!channel>" not in rendered and "<https://evil" not in rendered and "<@U999>" not in rendered
    assert "&lt;!channel&gt;" in reply.text


def test_hostile_term_is_stored_as_typed_and_rendered_inert(running_bot: RunningBot) -> None:
    running_bot.slack.command("/jargon", "add")
    view = wait_for(lambda: running_bot.fake.calls_to("views.open"))[0]["view"]
    running_bot.slack.submit(
        view,
        {
            "name": "<!here> growth",
            "side_1": ("select", "marketing"),
            "definition_1": "See <https://evil.example|the docs> or ask <@U999> & <!channel>",
            "example_1": "<!everyone>",
            "why_1": "'; DROP TABLE terms; --",
        },
    )

    reply = running_bot.slack.command("/jargon", "here growth")

    assert "&lt;https://evil.example|the docs&gt;" in reply.text
    for markup in ("<!here>", "<https://evil", "<@U999>", "<!channel>", "<!everyone>"):
        assert markup not in str(reply.body["blocks"]).replace("'text': '<!here> growth'", "")
    assert "DROP TABLE terms" in reply.text  # stored as text, nothing dropped
    assert "SQL" in running_bot.slack.command("/jargon", "SQL").text
