"""A button names an object by its value: read it again, or tell the clicker it is gone. Written once.

A button's value is only a claim (an id someone could forge or that outlived its object), so every listener
of a button on an object starts the same way: acknowledge, read the object the value names through the use
case, and when there is none (deleted, cancelled, never there) answer so below the message, changing nothing:

    session = objects.named(ack, action, respond, self.service.get, answers.gone("session"))
    if session is None:
        return
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from handlers import blocks as bk

Thing = TypeVar("Thing")


def named(
    ack: Ack, action: dict[str, Any], respond: Respond, read: Callable[[int], Thing | None], gone: str
) -> Thing | None:
    """Acknowledge, then the object the button's value names (read by `read` from its id), or None once the
    clicker has been told `gone` (mrkdwn, no user text)."""
    ack()
    found = read(bk.row_id(action.get("value")))
    if found is None:
        bk.tell(respond, gone)
    return found


Refusal = TypeVar("Refusal", bound=Exception)


def attempted(
    ack: Ack,
    action: dict[str, Any],
    respond: Respond,
    act: Callable[[int], Thing],
    refusal: type[Refusal],
    answer: Callable[[Refusal], dict[str, Any]],
) -> Thing | None:
    """Acknowledge, then `act` on the id the button's value names (the use case checks it and the clicker); when
    it refuses (`refusal`), None once the clicker has been given `answer(refused)` below the message."""
    ack()
    try:
        return act(bk.row_id(action.get("value")))
    except refusal as refused:
        respond(**answer(refused), replace_original=False)
        return None


def opens_form(
    read: Callable[[int], Thing | None], gone: str, form: Callable[[Thing], dict[str, Any]]
) -> Callable[..., None]:
    """The listener of a button that opens a form about the object it names (`form(thing)`), or says it is gone."""

    def listener(ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        found = named(ack, action, respond, read, gone)
        if found is not None:
            bk.open_modal(client, respond, str(body.get("trigger_id") or ""), form(found))

    return listener
