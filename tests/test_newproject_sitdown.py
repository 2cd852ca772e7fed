"""A new /newproject intake lands on the agenda of the next joint /sitdown, when there is one."""

from __future__ import annotations

from storage.sitdown import SitdownAgendaItem
from tests.conftest import JOINT_CHANNEL, RunningBot
from tests.test_newproject_flow import FORM, HOSTILE, REQUESTER, submit_intake
from tests.test_sitdown_commands import create_series, rows


def test_a_new_intake_is_added_to_the_next_joint_sitdown_agenda(running_bot: RunningBot) -> None:
    create_series(running_bot)

    intake_id = submit_intake(running_bot, {**FORM, "name": "Spring loyalty " + HOSTILE})

    items = rows(running_bot, SitdownAgendaItem)
    assert [(item.source, item.added_by) for item in items] == [("newproject", REQUESTER)]
    assert items[0].text.startswith(f"New project intake #{intake_id}: Spring loyalty <!channel>")
    reminder_agenda = running_bot.services.sitdown.next_agenda_in_channel(JOINT_CHANNEL)
    assert reminder_agenda is not None and [i.text for i in reminder_agenda.items] == [items[0].text]


def test_without_a_sitdown_the_intake_still_goes_through(running_bot: RunningBot) -> None:
    intake_id = submit_intake(running_bot)

    assert intake_id > 0
    assert rows(running_bot, SitdownAgendaItem) == []
