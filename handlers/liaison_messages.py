"""/liaison's Block Kit: the answers the listeners give and what the bot says on its own (LiaisonMessages)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.liaison import BOT, Overview, Preview, Refused
from bot.liaison_rules import (
    INTRO_FOLLOW_UP,
    SIDE_LABELS,
    SIDES,
    Member,
    SwapChange,
)
from bot.liaison_views import IntroPairView, IntroStats, NoteView, RotationView, TermView
from handlers import answers
from handlers import blocks as bk
from handlers.confirm import Ask

SIDE_ICONS = {"marketing": "📣", "it": "🛠️"}
LEAVE_POOL = Ask("liaison_leave_yes", "Yes, leave the pool", "Leave the liaison pool?")


REFUSALS = {
    "admins_only": "Only bot admins can do that, sorry: ask one of them if it needs doing.",
    "unknown_side": "Pick a side: `/liaison join marketing` or `/liaison join it`.",
    "not_in_pool": "You're not in a liaison pool. Join with `/liaison join marketing` or `/liaison join it`.",
    "away_in_past": "That date has already passed: give the last day you'll be away (YYYY-MM-DD).",
    "swap_not_yours": "You can hand over your own turn (`/liaison swap @you @colleague`); only admins swap others.",
    "swap_same_person": "Those are the same person: name who hands over and who takes it.",
    "swap_no_turn": "That person has no current or upcoming turn to hand over.",
    "swap_other_side": "The colleague taking over must be in the same side's pool.",
    "swap_taker_away": "That colleague is away then, so they can't take the turn.",
    "nothing_to_skip": "There's no upcoming pick to skip yet (picks are made two weeks before a term starts).",
    "term_gone": "That term is over or was replaced by a new rotation, so there's nothing to do.",
    "not_your_term": "You don't hold a seat in that term (it may have been swapped to someone else).",
    "intro_side_needed": "Which team are you on? `/liaison intros on marketing` or `/liaison intros on it`.",
    "intro_gone": answers.gone("intro"),
    "not_your_intro": "That intro is between two other people, so I left it alone.",
    "no_replacement": "There's nobody else available on that side, so I kept things as they were. "
    "Ask a colleague to `/liaison join`, or an admin.",
}


# --- rendering -----------------------------------------------------------------------------------------------


def refusal_message(refused: Refused) -> dict[str, Any]:
    text = REFUSALS.get(refused.reason, "I couldn't do that, and nothing was changed.")
    side = refused.details.get("side")
    if side in SIDE_LABELS:
        text += f" (side: {SIDE_LABELS[side]})"
    return bk.answer(text)


def leave_step(member: Member) -> dict[str, Any]:
    """`/liaison leave` asks first: the person leaves their pool when its "Yes" is clicked."""
    warning = (
        "Your upcoming turns go to the next person in line at once; a term you're serving now stays yours. "
        "Rejoin any time with `/liaison join`."
    )
    question = f"Leave the {SIDE_ICONS[member.side]} {SIDE_LABELS[member.side]} pool?"
    return LEAVE_POOL.step(question, warning, member.side)  # who leaves is the clicker, not the value


def seat(term: TermView | Preview, side: str) -> str:
    user_id = term.liaisons.get(side)
    who = bk.user(user_id) if user_id else f"_nobody yet_ (`/liaison join {side}`)"
    return f"{SIDE_ICONS[side]} {SIDE_LABELS[side]}: {who}"


def pair_line(term: TermView | Preview) -> str:
    return " · ".join(seat(term, side) for side in SIDES)


def span(term: TermView | Preview) -> str:
    return f"{bk.slack_date(term.starts_at)} → {bk.slack_date(term.ends_at)}"


def term_buttons(term: TermView) -> bk.Block:
    dialog = bk.confirm_dialog(
        "Pass this turn on?", "The next person in line will be asked instead; you keep your place.", "Swap me"
    )
    return bk.actions(
        [
            bk.button("Accept", "liaison_accept", str(term.id), style="primary"),
            bk.button("Can't — swap me", "liaison_decline", str(term.id), style="danger", confirm=dialog),
        ]
    )


def partner_text(term: TermView, side: str) -> str:
    other = "it" if side == "marketing" else "marketing"
    partner = term.liaisons.get(other)
    return f"your {SIDE_LABELS[other]} counterpart is {bk.user(partner)}" if partner else "the other seat is open"


def who_message(overview: Overview) -> dict[str, Any]:
    if overview.rotation is None:
        return bk.answer("No liaison rotation yet. A bot admin can set one up with `/liaison setup`.")
    term = overview.current
    if term is None:
        first = f"The rotation ({overview.rotation.plan.describe()} terms) starts "
        first += f"{bk.slack_date(overview.rotation.plan.term_starts_at(0))}. See who's up with `/liaison next`."
        return bk.answer(first)
    blocks = [
        bk.section(f"*Current liaisons*\n{pair_line(term)}"),
        bk.context(f"Since {bk.slack_date(term.starts_at)}, until {bk.slack_date(term.ends_at)}"),
        rotation_context(overview.rotation),
    ]
    return bk.message(blocks, "Current liaisons")


def rotation_context(rotation: RotationView) -> bk.Block:
    channels = ", ".join(bk.channel(c) for c in rotation.channels)
    every = "week" if rotation.intro_weeks == 1 else bk.plural(rotation.intro_weeks, "week")
    intros = f"cross-team intros every {every}" if rotation.intro_weeks else "no intros"
    return bk.context(
        f"Terms of {rotation.plan.describe()}, announced in {channels}; {intros}. "
        f"Set up by {bk.user(rotation.created_by)} on {bk.slack_date(rotation.created_at)}."
    )


def next_message(preview: Preview | None) -> dict[str, Any]:
    if preview is None:
        return bk.answer("No liaison rotation yet. A bot admin can set one up with `/liaison setup`.")
    heading = "*Next liaisons*" if preview.planned else "*Next liaisons* (if the pick were made today)"
    blocks = [bk.section(f"{heading}\n{pair_line(preview)}"), bk.context(f"Term: {span(preview)}")]
    if not preview.planned:
        blocks.append(bk.context("The pick is made two weeks before the term starts: whoever served least recently."))
    return bk.message(blocks, "Next liaisons")


def history_message(terms: Sequence[TermView]) -> dict[str, Any]:
    if not terms:
        return bk.answer("No liaison terms have started yet.")
    lines = [f"• {span(term)}: {pair_line(term)}" for term in terms]
    return bk.message([bk.section("*Liaison history* (latest first)\n" + "\n".join(lines))], "Liaison history")


def pool_message(pools: dict[str, list[str]], away: dict[str, date | None]) -> dict[str, Any]:
    fields = []
    for side in SIDES:
        lines = []
        for user_id in pools[side]:
            until = away.get(user_id)
            lines.append(bk.user(user_id) + (f" (away through {until.isoformat()})" if until else ""))
        fields.append(f"*{SIDE_ICONS[side]} {SIDE_LABELS[side]}* ({len(lines)})\n" + ("\n".join(lines) or "_empty_"))
    blocks = [
        bk.section("*Liaison pools*, in the order people will be picked:"),
        bk.fields_section(fields),
        bk.context("Join with `/liaison join marketing` or `/liaison join it`."),
    ]
    return bk.message(blocks, "Liaison pools")


def stats_message(stats: IntroStats) -> dict[str, Any]:
    if not stats.pairs:
        text = "No cross-team intros yet. Opt in with `/liaison intros on`; admins set how often in `/liaison setup`."
        return bk.answer(text)
    answered = stats.met + stats.not_yet
    rate = f"{round(100 * stats.met / stats.pairs)}%"
    blocks = [
        bk.header("Cross-team intros"),
        bk.fields_section(
            [
                f"*Rounds*\n{stats.rounds}",
                f"*Intros*\n{stats.pairs}",
                f"*Met*\n{stats.met} ({rate})",
                f"*Not yet / no answer*\n{stats.not_yet} / {stats.pairs - answered}",
            ]
        ),
        bk.context(
            f"Opted in: {stats.opted_in.get('marketing', 0)} in marketing, {stats.opted_in.get('it', 0)} in IT."
        ),
    ]
    return bk.message(blocks, f"Cross-team intros: {stats.met} of {stats.pairs} met")


def note_blocks(notes: Sequence[NoteView], room: int = bk.MESSAGE_BLOCK_LIMIT - 1) -> list[bk.Block]:
    """Each handover note whole (a note is up to 3,000 characters, more once escaped: over several blocks)."""
    parts = []
    for note in notes:
        quoted = "\n".join("> " + line for line in bk.escape(note.text).splitlines() if line.strip())
        heading = f"*Handover from {bk.user(note.author)}* ({SIDE_LABELS.get(note.side, note.side)}), "
        parts.append(f"{heading}{bk.slack_date(note.written_at)}:\n{quoted}")
    more = "…and {} more handover notes, more than Slack lets me show in one message: ask the previous liaisons."
    return bk.long_sections(parts, room=room, left_out=more.format)


class LiaisonMessages:
    """What the bot says on its own about the rotation (see bot.liaison.LiaisonMessages)."""

    def incoming(self, user_id: str, term: TermView, side: str) -> dict[str, Any]:
        blocks = [
            bk.section(
                f"👋 You're up next as *{SIDE_LABELS[side]} liaison*, {span(term)}; {partner_text(term, side)}. "
                "You'll be the first port of call for the other team's questions."
            ),
            term_buttons(term),
            bk.context(
                "Can't do it? Press *Can't — swap me* and the next person in line is asked; you keep your place."
            ),
        ]
        return {"channel": user_id, **bk.message(blocks, f"You're the next {SIDE_LABELS[side]} liaison")}

    def handed_turn(self, user_id: str, term: TermView, side: str, giver: str, by: str) -> dict[str, Any]:
        who = bk.user(giver) + (f" (via {bk.user(by)})" if by != giver else "")
        blocks = [
            bk.section(
                f"🔁 {who} handed you a turn as *{SIDE_LABELS[side]} liaison*, {span(term)}; "
                f"{partner_text(term, side)}."
            ),
            term_buttons(term),
        ]
        return {"channel": user_id, **bk.message(blocks, f"You're now {SIDE_LABELS[side]} liaison")}

    def handover_ask(self, user_id: str, term: TermView, successor: TermView | None) -> dict[str, Any]:
        taking_over = ""
        if successor is not None:
            names = [bk.user(u) for u in successor.liaisons.values() if u]
            taking_over = f" for {' and '.join(names)}" if names else ""
        blocks = [
            bk.section(
                f"✍️ Your liaison term ends {bk.slack_date(term.ends_at)}. "
                f"Would you leave a short handover note{taking_over}? It reaches them on their first day."
            ),
            bk.actions([bk.button("Write handover note", "liaison_note", str(term.id), style="primary")]),
        ]
        return {"channel": user_id, **bk.message(blocks, "Time for a liaison handover note")}

    def welcome(self, user_id: str, term: TermView, notes: Sequence[NoteView]) -> dict[str, Any]:
        side = term.slots.side_of(user_id) or "marketing"
        blocks = [
            bk.section(
                f"🎉 Your term as *{SIDE_LABELS[side]} liaison* starts now, {span(term)}; {partner_text(term, side)}."
            )
        ]
        blocks += note_blocks(notes) or [bk.context("No handover note was left for you this time.")]
        return {"channel": user_id, **bk.message(blocks, "Your liaison term starts")}

    def announcement(self, channel: str, term: TermView) -> dict[str, Any]:
        blocks = [
            bk.section(f"🤝 *New marketing–IT liaisons*, {span(term)}:\n{pair_line(term)}"),
            bk.context("Questions for the other team? Start with them. `/liaison who` shows the current pair."),
        ]
        return {"channel": channel, **bk.message(blocks, "New marketing–IT liaisons")}

    def checkin(self, user_id: str, term: TermView) -> dict[str, Any]:
        side = term.slots.side_of(user_id) or "marketing"
        blocks = [
            bk.section(
                f"⏱️ Half-way through your term as {SIDE_LABELS[side]} liaison (until {bk.slack_date(term.ends_at)}). "
                f"How is it going? A good moment for a coffee: {partner_text(term, side)}."
            )
        ]
        return {"channel": user_id, **bk.message(blocks, "Liaison check-in")}

    def late_note(self, user_id: str, note: NoteView) -> dict[str, Any]:
        return {"channel": user_id, **bk.message(note_blocks([note]), "A liaison handover note for you")}

    def turn_removed(self, user_id: str, term: TermView, side: str, by: str) -> dict[str, Any]:
        why = "you're no longer in the team's Slack user group" if by == BOT else f"{bk.user(by)} changed the rotation"
        text = (
            f"🔁 You're no longer the *{SIDE_LABELS[side]} liaison* for {span(term)}: {why}. "
            "You keep your place in the queue. `/liaison who` and `/liaison next` show who's on."
        )
        return {"channel": user_id, **bk.message([bk.section(text)], f"Your {SIDE_LABELS[side]} liaison turn moved")}

    def partner_changed(self, user_id: str, term: TermView, side: str, old: str, new: str) -> dict[str, Any]:
        """To the other side's liaison of a term whose `side` seat moved from `old` to `new`."""
        text = (
            f"🔁 Your *{SIDE_LABELS[side]}* counterpart for {span(term)} is now {bk.user(new)}, "
            f"instead of {bk.user(old)}. `/liaison who` shows the pair."
        )
        return {"channel": user_id, **bk.message([bk.section(text)], f"New {SIDE_LABELS[side]} counterpart")}

    def intro_prompt(self, channel: str, pair: IntroPairView) -> dict[str, Any]:
        blocks = [
            bk.section(
                f"👋 {bk.user(pair.marketing_user)} (marketing), meet {bk.user(pair.it_user)} (IT)! "
                "This round's cross-team intro: find 20 minutes for a coffee or a call this week."
            )
        ]
        if pair.term_name:
            term = bk.escape(pair.term_name)
            blocks.append(
                bk.section(
                    f"🗣️ *Term of the week: {term}*. Explain to each other what it means on your side, "
                    f"then compare with `/jargon {term}`."
                )
            )
        blocks.append(bk.context(f"I'll check in {INTRO_FOLLOW_UP.days} days from now. `/liaison intros off` to stop."))
        return {"channel": channel, **bk.message(blocks, "Your cross-team intro")}

    def intro_sitout(self, user_id: str) -> dict[str, Any]:
        text = (
            "🪑 The teams are uneven this round, so you sit this cross-team intro out. "
            "You'll be first in line next round."
        )
        return {"channel": user_id, **bk.message([bk.section(text)], "You sit out this intro round")}

    def intro_follow_up(self, channel: str, pair: IntroPairView) -> dict[str, Any]:
        blocks = [
            bk.section(f"☕ Did {bk.user(pair.marketing_user)} and {bk.user(pair.it_user)} manage to meet?"),
            bk.actions(
                [
                    bk.button("We met", "liaison_intro_met", str(pair.id), style="primary"),
                    bk.button("Not yet", "liaison_intro_not_yet", str(pair.id)),
                ]
            ),
        ]
        return {"channel": channel, **bk.message(blocks, "Did your cross-team intro happen?")}


def swap_summary(changes: Sequence[SwapChange]) -> str:
    first = changes[0]
    text = f"🔁 Done: {bk.user(first.new)} takes {bk.user(first.old or '')}'s {SIDE_LABELS[first.side]} turn"
    if len(changes) > 1:
        text += f", and {bk.user(changes[1].new)} takes {bk.user(changes[1].old or '')}'s later turn in exchange"
    return text + ". I've let them know by DM."
