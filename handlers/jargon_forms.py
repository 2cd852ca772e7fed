"""/jargon's term modal, and reading what its submission holds."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.glossary import (
    MAX_ALIASES,
    MAX_DEFINITION,
    MAX_EXAMPLE,
    MAX_NAME,
    MAX_SENSES,
    MAX_WHY,
    SIDE_LABELS,
    SIDES,
    SenseData,
    TermDraft,
    TermEntry,
    split_list,
)
from handlers import blocks as bk
from handlers.jargon_messages import entry_blocks

# Everything validation lets a list of names hold (MAX_ALIASES names of MAX_NAME, shown joined by ", "), in
# UTF-16 units, the larger measure: the edit form shows the whole list, so saving it unchanged keeps it.
NAMES_FIELD = MAX_ALIASES * 2 * MAX_NAME + (MAX_ALIASES - 1) * len(", ")


def term_modal(
    entry: TermEntry | None = None, *, name: str = "", request_id: int | None = None, channel_id: str = ""
) -> dict[str, Any]:
    draft_senses = list(entry.senses) if entry else []
    metadata = {"term_id": entry.id if entry else None, "request_id": request_id, "channel_id": channel_id}
    if entry:
        metadata["version"] = entry.version
    blocks: list[bk.Block] = [
        bk.text_input("name", "Term", initial=entry.name if entry else name, max_length=MAX_NAME),
        bk.text_input(
            "acronyms",
            "Acronyms",
            initial=", ".join(entry.acronyms) if entry else "",
            optional=True,
            placeholder="CRM, SQL…",
            max_length=NAMES_FIELD,
        ),
        bk.text_input(
            "aliases",
            "Other names and spellings",
            initial=", ".join(entry.aliases) if entry else "",
            optional=True,
            placeholder="split test, A/B test…",
            hint="Separate with commas. Case, spaces and punctuation don't matter when people look terms up.",
            max_length=NAMES_FIELD,
        ),
    ]
    for number in range(1, MAX_SENSES + 1):
        sense = draft_senses[number - 1] if number <= len(draft_senses) else None
        optional = number > 1
        title = "Meaning" if number == 1 else f"Meaning {number} (optional: when the other side uses it differently)"
        blocks += [
            bk.divider(),
            bk.section(f"*{title}*"),
            bk.select_input(
                f"side_{number}",
                "Who uses this meaning?",
                [(side, SIDE_LABELS[side]) for side in SIDES],
                initial=sense.side if sense else None,
                optional=optional,
            ),
            bk.text_input(
                f"definition_{number}",
                "Plain-language definition",
                initial=sense.definition if sense else "",
                multiline=True,
                optional=optional,
                max_length=MAX_DEFINITION,
            ),
            bk.text_input(
                f"example_{number}",
                "Example sentence",
                initial=sense.example if sense else "",
                optional=True,
                max_length=MAX_EXAMPLE,
            ),
            bk.text_input(
                f"why_{number}",
                "Why the other side should care",
                initial=sense.why_it_matters if sense else "",
                multiline=True,
                optional=True,
                max_length=MAX_WHY,
            ),
        ]
    title = "Edit term" if entry else "Add a term"
    return bk.modal("jargon_term", title, blocks, submit="Save", metadata=json.dumps(metadata))


def saved_modal(entry: TermEntry, told: int) -> dict[str, Any]:
    blocks = [bk.section(f"✅ Saved *{bk.escape(entry.name)}*. This is how people will see it:"), *entry_blocks(entry)]
    if told:
        who = "the person" if told == 1 else f"the {bk.plural(told, 'person', 'people')}"
        blocks.append(bk.context(f"I'm letting {who} who asked for it know by DM."))
    return bk.modal("jargon_saved", "Glossary", blocks)


def draft_from_state(values: dict[str, Any]) -> tuple[TermDraft, list[int]]:
    """The submitted form as a draft, plus which form group each kept sense came from."""
    senses, groups = [], []
    for number in range(1, MAX_SENSES + 1):
        definition = bk.input_value(values, f"definition_{number}")
        if not definition and number > 1:
            continue
        senses.append(
            SenseData(
                side=bk.input_value(values, f"side_{number}"),
                definition=definition,
                example=bk.input_value(values, f"example_{number}"),
                why_it_matters=bk.input_value(values, f"why_{number}"),
            )
        )
        groups.append(number)
    draft = TermDraft(
        name=bk.input_value(values, "name"),
        senses=tuple(senses),
        aliases=tuple(split_list(bk.input_value(values, "aliases"))),
        acronyms=tuple(split_list(bk.input_value(values, "acronyms"))),
    )
    return draft, groups


def form_errors(errors: dict[str, str], groups: list[int]) -> dict[str, str]:
    """Map the service's field names (sense numbers) onto the form's block IDs (group numbers)."""
    mapped = {}
    for field_name, message in errors.items():
        match = re.fullmatch(r"(\w+?)_(\d+)", field_name)
        if match:
            position = int(match.group(2))
            group = groups[position - 1] if position <= len(groups) else position
            field_name = f"{match.group(1)}_{group}"
        mapped[field_name] = message
    return mapped
