"""Home's lunch-and-learn section: my seats and waitlist places (each with *Withdraw*), and the sessions I present.

Withdraw is the usual `lunchlearn_withdraw` button (the session's id as its value): clicked in Home, its listener's
answer becomes the notice on a Home refreshed after the click (handlers.home). The section keeps to ROOM blocks,
ending with how many sessions it left out and where to see them all.
"""

from __future__ import annotations

from bot.lunchlearn import UserSessions
from bot.lunchlearn_rules import SessionView
from bot.services import Services
from handlers import blocks as bk
from handlers.lunchlearn_messages import cancel_button, seat_dialog, topic_of, when_text

__all__ = ["ROOM", "section"]

ROOM = 15  # blocks: the header, the two headings, the sessions and the "and N more" line


def section(services: Services, user_id: str) -> list[bk.Block]:
    """My upcoming lunch-and-learns (not cancelled) as Home blocks; nothing when there is none."""
    mine = services.lunchlearn.concerning(user_id, limit=ROOM)
    if not mine.attending and not mine.presenting:
        return []
    attending, presenting = shown(mine)
    blocks: list[bk.Block] = [bk.header("🍱 My lunch & learns")]
    if mine.attending:
        blocks.append(bk.section("*Your seats and waitlist places*"))
        blocks += [attending_block(session, user_id) for session in mine.attending[:attending]]
    if mine.presenting:
        blocks.append(bk.section("*Sessions you present*"))
        blocks += [presenting_block(session) for session in mine.presenting[:presenting]]
    left_out = mine.attending_count - attending + mine.presenting_count - presenting
    if left_out:
        blocks.append(bk.context(f"…and {left_out} more: `/lunchlearn list` shows them all."))
    return blocks


def shown(mine: UserSessions) -> tuple[int, int]:
    """How many of my seats and of the sessions I present fit in ROOM blocks (the sessions I present keep at
    least a third of the room when both lists are long)."""
    attending, presenting = mine.attending_count, mine.presenting_count
    headings = 1 + bool(attending) + bool(presenting)
    if headings + attending + presenting <= ROOM:
        return attending, presenting
    room = ROOM - headings - 1  # the last block says what was left out
    presenting_shown = min(presenting, max(room - attending, room // 3))
    attending_shown = min(attending, room - presenting_shown)
    return attending_shown, min(presenting, room - attending_shown)


def attending_block(session: SessionView, user_id: str) -> bk.Block:
    position = session.waitlist_position(user_id)
    place = "✅ You have a seat." if position is None else f"⏳ You're #{position} on the waitlist."
    lines = [
        f"{topic_of(session)} (#{session.id})",
        f"🗓️ {when_text(session.starts_at)} · 📍 {bk.escape(session.place)}",
    ]
    withdraw = bk.button("Withdraw", "lunchlearn_withdraw", str(session.id), confirm=seat_dialog(session, user_id))
    return bk.section("\n".join([*lines, place]), accessory=withdraw)


def presenting_block(session: SessionView) -> bk.Block:
    attendees = f"👥 {len(session.seated)}/{session.capacity} seated · {len(session.waiting)} on the waitlist"
    lines = [f"🎤 {topic_of(session)} (#{session.id})", f"🗓️ {when_text(session.starts_at)} · {attendees}"]
    return bk.section("\n".join(lines), accessory=cancel_button(session))
