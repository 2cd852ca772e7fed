"""The leadership digest's Block Kit and words: the digest message, its chart's upload (title, alt text), the
preview's plain text, the admin's schedule form; and the outbox's renderers and sender for them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.digest import CHART, MESSAGE, UPLOAD, DigestService, period_of
from bot.digest_chart import draw_in_child
from bot.digest_rules import (
    MONTHLY,
    PERIODS,
    WEEKDAYS,
    WEEKLY,
    ChartWeek,
    Digest,
    Figures,
    LunchFigures,
    Period,
    Schedule,
)
from bot.notify import Renderer, Sender
from handlers import blocks as bk
from handlers.zones import zone_select

Block = dict[str, Any]
SCHEDULE_FORM = "digest_schedule"
DECISION_WORDS = {"approve": "approved", "decline": "declined", "review": "sent to review"}
SIDES = {"marketing": "Marketing", "it": "IT", "joint": "joint", "other": "other"}
PERIOD_WORDS = {WEEKLY: "Weekly: the week just ended", MONTHLY: "Monthly: the month just ended"}
CATEGORY_WORDS = {"immediate": "immediate", "long_term": "long-term"}


# --- the figures, as lines ---------------------------------------------------------------------------------------


def _number(value: float | None, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "—"
    shown = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return f"{shown}{unit}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def _pair(now: str, before: str) -> str:
    return f"*{now}* (before: {before})"


def _counts(counts: dict[str, int], words: dict[str, str]) -> str:
    return ", ".join(f"{counts.get(key, 0)} {word}" for key, word in words.items())


def _intake_lines(now: Figures, before: Figures) -> list[str]:
    a, b = now.intakes, before.intakes
    return [
        f"Filed: {_pair(str(a.filed), str(b.filed))}",
        f"Median lead time: {_pair(_number(a.median_lead_days, ' days'), _number(b.median_lead_days, ' days'))}",
        f"Short notice or urgent: {_pair(_share(a.short_notice_share), _share(b.short_notice_share))}",
        f"Median time to pickup: {_pair(_number(a.median_pickup_hours, ' h'), _number(b.median_pickup_hours, ' h'))}"
        f", over {bk.plural(a.claimed, 'intake')} claimed",
        f"Unclaimed at the end: {_pair(str(a.unclaimed_at_end), str(b.unclaimed_at_end))}",
        f"Escalations sent: {_pair(str(a.escalations), str(b.escalations))}",
        f"Decisions: {_pair(_counts(a.decisions, DECISION_WORDS), _counts(b.decisions, DECISION_WORDS))}",
        f"Touching personal data: {_pair(str(a.personal_data), str(b.personal_data))}",
        f"Naming new vendors: {_pair(str(a.new_vendors), str(b.new_vendors))}",
    ]


def _sitdown_lines(now: Figures, before: Figures) -> list[str]:
    a, b = now.sitdowns, before.sitdowns
    return [
        f"Meetings held: {_pair(str(a.held), str(b.held))} · skipped: {_pair(str(a.skipped), str(b.skipped))}",
        f"Action items opened: {_pair(_counts(a.opened, CATEGORY_WORDS), _counts(b.opened, CATEGORY_WORDS))}",
        f"Action items closed: {_pair(_counts(a.closed, CATEGORY_WORDS), _counts(b.closed, CATEGORY_WORDS))}",
        f"Overdue at the end: {_pair(_counts(a.overdue, CATEGORY_WORDS), _counts(b.overdue, CATEGORY_WORDS))}",
    ]


def _seats(figures: LunchFigures) -> str:
    return _counts(figures.seats_by_side, {k: SIDES[k] for k in ("marketing", "it", "other")})


def _lunch_lines(now: Figures, before: Figures) -> list[str]:
    a, b = now.lunches, before.lunches
    taught = {k: SIDES[k] for k in ("marketing", "it", "joint")}
    return [
        f"Sessions held: {_pair(str(a.held), str(b.held))}",
        f"Seats taken: {_pair(_seats(a), _seats(b))}",
        f"Average rating: {_pair(_number(a.average_rating, '/5', 2), _number(b.average_rating, '/5', 2))}"
        f", from {bk.plural(a.ratings, 'rating')}",
        f"Taught by: {_pair(_counts(a.taught_by, taught), _counts(b.taught_by, taught))}",
    ]


def _glossary_lines(now: Figures, before: Figures) -> list[str]:
    a, b = now.glossary, before.glossary
    missed = ", ".join(f"“{bk.escape(bk.truncate(query, 40))}” ×{count}" for query, count in a.most_missed)
    return [
        f"Terms added: {_pair(str(a.added), str(b.added))}",
        f"Most-missed lookups: {missed or 'none'}",
        f"Open definition requests at the end: {_pair(str(a.open_requests), str(b.open_requests))}",
    ]


def _liaison_lines(digest: Digest) -> list[str]:
    pair = digest.liaison
    if pair is None:
        return ["No liaison pair is serving."]
    people = f"{_person(pair.marketing_user)} (marketing) and {_person(pair.it_user)} (IT)"
    return [f"Current pair: {people}; handover in {bk.plural(pair.days_to_handover or 0, 'day')}"]


def _person(user_id: str | None) -> str:
    return bk.user(user_id) if user_id else "nobody yet"


def sections(digest: Digest) -> list[tuple[str, list[str]]]:
    now, before = digest.current, digest.previous
    return [
        ("🚀 Intakes to IT", _intake_lines(now, before)),
        ("🤝 Sit-downs", _sitdown_lines(now, before)),
        ("🍱 Lunch-and-learns", _lunch_lines(now, before)),
        ("📖 Glossary", _glossary_lines(now, before)),
        ("🔁 Liaisons", _liaison_lines(digest)),
    ]


def title(digest: Digest) -> str:
    partial = " (so far)" if digest.partial else ""
    return f"📊 Marketing × IT: {digest.period.label()}{partial}"


def _cohorts(period: Period) -> str:
    return (
        f"Each figure for {period.label()} ({period.zone}), beside {period.previous().label()}. Intakes filed and "
        "their lead time, short notice, personal data and vendors: by submission in the period; pickup: over "
        "intakes IT claimed in the period; unclaimed, overdue and open requests: at the period's end."
    )


def digest_message(channel: str, digest: Digest) -> dict[str, Any]:
    blocks: list[Block] = [bk.header(title(digest)[:150]), bk.context(_cohorts(digest.period))]
    for name, lines in sections(digest):
        blocks.append(bk.section(f"*{name}*\n" + "\n".join(f"• {line}" for line in lines)))
    blocks.append(bk.context("📈 The chart of the last quarter's intakes follows this message."))
    return {"channel": channel, **bk.message(blocks, title(digest))}


def digest_text(digest: Digest) -> str:
    """The digest as plain text (`python -m bot digest preview`)."""
    out = [_plain(title(digest)), _plain(_cohorts(digest.period)), ""]
    for name, lines in sections(digest):
        out += [name, *(f"  • {_plain(line)}" for line in lines), ""]
    return "\n".join(out).rstrip() + "\n"


def _plain(text: str) -> str:
    text = re.sub(r"<@([A-Z0-9]+)>", r"@\1", text).replace("*", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- the chart ---------------------------------------------------------------------------------------------------


def chart_title(period: Period) -> str:
    return f"Intakes by week, the quarter to {period.next_first_day - timedelta(days=1):%d %b %Y}"


def alt_text(weeks: Sequence[ChartWeek]) -> str:
    shown = [week for week in weeks if week.median_lead_days is not None]
    last = shown[-1] if shown else None
    text = (
        f"Chart over {len(weeks)} weeks: median intake lead time in days and median time to pickup in hours as "
        "lines, the share filed at short notice as bars."
    )
    if last is None:
        return text + " No intakes were filed in these weeks."
    return text + (
        f" Latest week with intakes ({last.first_day:%d %b}): lead time {_number(last.median_lead_days, ' days')}, "
        f"pickup {_number(last.median_pickup_hours, ' h')}, short notice {_share(last.short_notice_share)}."
    )


def chart_upload(channel: str, period: Period, weeks: Sequence[ChartWeek], png: bytes) -> dict[str, Any]:
    return {
        "channel": channel,
        "content": png,
        "filename": f"digest-{period.kind}-{period.first_day.isoformat()}.png",
        "title": chart_title(period),
        "alt_txt": alt_text(weeks)[:1000],
        "initial_comment": f"📈 Intakes over the last quarter, for the digest of {period.label()}.",
    }


def upload(client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
    """files_upload_v2 for a chart row; a DM's file goes to the conversation with that person."""
    channel = str(payload["channel"])
    if channel[:1] in ("U", "W"):
        channel = client.conversations_open(users=channel)["channel"]["id"]
    client.files_upload_v2(**{**payload, "channel": channel})
    return {"channel": channel}


def renderers(service: DigestService) -> dict[str, Renderer]:
    """The digest and its chart, built when the outbox sends them, from the figures then."""

    def message(_subject: str, payload: dict[str, Any]) -> dict[str, Any]:
        return digest_message(payload["channel"], service.digest(period_of(payload)))

    def chart(_subject: str, payload: dict[str, Any]) -> dict[str, Any]:
        period = period_of(payload)
        weeks = service.chart_weeks(period)
        return chart_upload(payload["channel"], period, weeks, draw_in_child(weeks, chart_title(period)))

    return {MESSAGE: message, CHART: chart}


def senders() -> dict[str, Sender]:
    return {UPLOAD: upload}


# --- the admin's schedule form -----------------------------------------------------------------------------------


def where_to(recipients: Sequence[str], channel: str | None) -> str:
    if channel:
        return f"posted in {bk.channel(channel)}"
    if recipients:
        return "sent by DM to the bot admins (no leadership channel is set)"
    return "sent nowhere: ask whoever runs the bot to set the leadership channel"


def home_lines(schedule: Schedule, where: str, next_due: datetime, last_sent: datetime | None) -> str:
    sent = f" · last sent {bk.slack_date(last_sent)}" if last_sent else ""
    return (
        f"*📊 Leadership digest:* {schedule.describe()}, {where}.\nNext: {bk.slack_date(next_due)}{sent} · "
        "`python -m bot digest preview` shows the period so far"
    )


def schedule_modal(schedule: Schedule) -> dict[str, Any]:
    days = [(str(number), name) for number, name in enumerate(WEEKDAYS)]
    periods = [(kind, PERIOD_WORDS[kind]) for kind in PERIODS]
    at: Block = {
        "type": "input",
        "block_id": "at",
        "label": bk.plain("Time"),
        "element": {"type": "timepicker", "action_id": "value", "initial_time": f"{schedule.at:%H:%M}"},
    }
    blocks = [
        bk.select_input("period", "Period", periods, initial=schedule.period),
        bk.select_input("weekday", "Day", days, initial=str(schedule.weekday)),
        at,
        zone_select("zone", "Time zone", schedule.zone),
        bk.context("A monthly digest goes out on the first such day of the new month."),
    ]
    return bk.modal(SCHEDULE_FORM, "Leadership digest", blocks, submit="Save")


def schedule_values(view: dict[str, Any]) -> dict[str, str]:
    values = view.get("state", {}).get("values", {})
    at = values.get("at", {}).get("value", {}).get("selected_time") or ""
    return {
        "period": bk.input_value(values, "period"),
        "weekday": bk.input_value(values, "weekday"),
        "at": str(at),
        "zone": bk.input_value(values, "zone"),
    }


def saved_modal(schedule: Schedule, next_due: datetime) -> dict[str, Any]:
    text = f"✅ Saved: {schedule.describe()}. The next digest goes out {bk.slack_date(next_due)}."
    return bk.modal("digest_schedule_saved", "Leadership digest", [bk.section(text)])
