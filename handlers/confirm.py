"""Asking first: a destructive typed command answers with a confirm step and does nothing until it is clicked.

An `Ask` is one destructive action, written once per feature: `step(...)` builds the confirm step (an
ephemeral message: the question, what will happen, a "Yes, …" button that carries Slack's own confirm dialog
too, and "Keep it"), and `register(app, run)` adds its two listeners. The "Yes" listener calls `run(id, user)`
with the id from the button's value (through `bk.row_id`) and the clicker from the payload, never from the
value: the value is only a claim, so `run` is the feature's usual use case, which checks again who may do it
and whether it can still be done, and answers as the command answered before. Both answers replace the step,
so its buttons cannot be clicked twice.

The same action also sits on the object itself (a series' reminder, a session's card, Home): `button(...)`
is a button carrying Slack's confirm dialog that runs the same `run` at once (Slack asked first), answering
below the message (only the clicker sees it) instead of replacing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond

from handlers import blocks as bk

__all__ = ["KEEP", "KEPT", "Ask", "Run", "RunHere"]

Run = Callable[[int, str], dict[str, Any]]  # (the id the button names, who clicked) → the answer to give
RunHere = Callable[[str, str], dict[str, Any]]  # (the channel the step was answered in, who clicked) → the answer
KEEP = "Keep it"
KEPT = "👍 Kept as it was: nothing was changed."


@dataclass(frozen=True)
class Ask:
    action_id: str  # the "Yes" button's; "Keep it" is `{action_id}_keep`
    yes: str  # the button: "Yes, cancel it" (Slack's dialog confirms with the same words, "Cancel it")
    title: str  # Slack's dialog: "Cancel this sit-down?"
    style: str = "danger"  # the "Yes" button's: "primary" for what is public rather than destructive

    @property
    def keep_id(self) -> str:
        return f"{self.action_id}_keep"

    @property
    def object_id(self) -> str:
        """The action id of the button on the object itself (`button`)."""
        return f"{self.action_id}:object"

    def button(self, label: str, value: str, warning: str) -> dict[str, Any]:
        """The action on the object: Slack's dialog asks first, then `run` does it (see `register`)."""
        return bk.button(label, self.object_id, value, style="danger", confirm=self.dialog(warning))

    def dialog(self, warning: str) -> dict[str, Any]:
        """Slack's confirm object for the "Yes" button; `warning` (mrkdwn, no user text: it is cut at 300)."""
        confirm = self.yes.removeprefix("Yes, ")
        return bk.confirm_dialog(self.title, warning, confirm[:1].upper() + confirm[1:], KEEP)

    def step(self, question: str, warning: str, value: str) -> dict[str, Any]:
        """The confirm step: `question` (mrkdwn, user parts escaped by the caller) and `warning`, what happens
        on "Yes"; `value` names the thing acted on (an id; Slack wants a value even when the clicker is all)."""
        buttons = [
            bk.button(self.yes, self.action_id, value, style=self.style, confirm=self.dialog(warning)),
            bk.button(KEEP, self.keep_id, value),
        ]
        text = f"{question}\n{warning}"
        return bk.message([bk.section(text), bk.actions(buttons)], text, text_is_mrkdwn=True)

    def register(self, app: App, run: Run) -> None:
        """The listeners of "Yes" (`run`, from the clicker and the id) and of "Keep it" (nothing changes)."""
        self._listen(app, lambda action, body, clicker: run(bk.row_id(action.get("value")), clicker))

    def register_in_channel(self, app: App, run: RunHere) -> None:
        """The same for an action on a channel rather than a row: `run` is given the channel the step was
        answered in (the payload's, so a member of that channel; the use case asks Slack again) and the clicker."""
        self._listen(app, lambda action, body, clicker: run(str((body.get("channel") or {}).get("id") or ""), clicker))

    def _listen(self, app: App, answer: Callable[[dict[str, Any], dict[str, Any], str], dict[str, Any]]) -> None:
        def clicked(replace: bool) -> Callable[..., None]:
            def on_click(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
                ack()
                respond(**answer(action, body, str((body.get("user") or {}).get("id") or "")), replace_original=replace)

            return on_click

        def on_keep(ack: Ack, respond: Respond) -> None:
            ack()
            respond(**bk.answer(KEPT), replace_original=True)

        app.action(self.action_id)(clicked(replace=True))  # the step is replaced by the answer
        app.action(self.object_id)(clicked(replace=False))  # the object stays; the answer goes below it
        app.action(self.keep_id)(on_keep)
