"""The digest's chart, drawn with matplotlib in a child process: `python -m bot.digest_chart` reads the weeks as
JSON on stdin and writes a PNG on stdout.

matplotlib (with numpy and its fonts) stays in a process's memory once imported, some 40 MB, for a picture drawn
once a week: the bot's own process never imports it (tests/test_digest.py checks), it runs `draw_in_child`.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from bot.digest_rules import ChartWeek

CHART_SECONDS = 120  # a first run builds matplotlib's font cache: a few seconds; more means something is wrong
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHARTS_KEPT = 4  # PNGs of about 40 KB: the same chart drawn again is not drawn again (see draw_in_child)
_DRAWING = threading.Lock()  # one drawing at a time: a chart asked for twice at once is drawn once


class ChartFailed(Exception):
    """The child process did not draw the chart; the message says why, in one line."""


def spec(weeks: Sequence[ChartWeek], title: str) -> dict[str, Any]:
    return {
        "title": title,
        "weeks": [
            {
                "label": f"{week.first_day:%d %b}",
                "lead": week.median_lead_days,
                "pickup": week.median_pickup_hours,
                "short": week.short_notice_share,
            }
            for week in weeks
        ],
    }


def draw_in_child(weeks: Sequence[ChartWeek], title: str) -> bytes:
    """The PNG, drawn by `python -m bot.digest_chart` with the Agg backend. The last few are kept: a chart is
    drawn again when Slack refused its upload, or when an admin sends a period's digest again, and each drawing
    is a child process importing matplotlib (half a second of CPU, 40 MB for the while). One chart is drawn at a
    time, so two sending lanes asking for the same chart at once get one drawing between them."""
    chart = json.dumps(spec(weeks, title), sort_keys=True)
    with _DRAWING:
        return _drawn(chart)


@lru_cache(maxsize=CHARTS_KEPT)
def _drawn(chart: str) -> bytes:
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot.digest_chart"],
            input=chart.encode(),
            capture_output=True,
            timeout=CHART_SECONDS,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ChartFailed(f"drawing the chart took over {CHART_SECONDS} s") from error
    if done.returncode != 0 or not done.stdout.startswith(PNG_MAGIC):
        last = (done.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise ChartFailed(f"drawing the chart failed (exit {done.returncode}): {last[:200]}")
    return done.stdout


def draw(chart: dict[str, Any]) -> bytes:  # pragma: no cover - runs in the child process (tests run it there)
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    weeks = chart["weeks"]
    labels = [week["label"] for week in weeks]
    positions = list(range(len(weeks)))
    figure, days_axis = pyplot.subplots(figsize=(9, 4.5), dpi=100)
    share_axis = days_axis.twinx()
    shares = [100 * (week["short"] or 0) for week in weeks]
    share_axis.bar(positions, shares, color="#f2b5b5", alpha=0.6, label="Short notice or urgent (% of filed)")
    share_axis.set_ylim(0, 100)
    share_axis.set_ylabel("% short notice")
    lead = [week["lead"] if week["lead"] is not None else float("nan") for week in weeks]
    pickup = [week["pickup"] if week["pickup"] is not None else float("nan") for week in weeks]
    days_axis.plot(positions, lead, marker="o", color="#1f5fa8", label="Median lead time (days)")
    days_axis.plot(positions, pickup, marker="s", color="#2e8b57", label="Median time to pickup (hours)")
    days_axis.set_zorder(share_axis.get_zorder() + 1)
    days_axis.patch.set_visible(False)
    days_axis.set_xticks(positions, labels, rotation=45, ha="right", fontsize=8)
    days_axis.set_ylabel("days / hours")
    days_axis.set_ylim(bottom=0)
    days_axis.set_title(chart["title"])
    handles = days_axis.get_legend_handles_labels()[0] + share_axis.get_legend_handles_labels()[0]
    days_axis.legend(handles=handles, loc="upper left", fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    pyplot.close(figure)
    return out.getvalue()


if __name__ == "__main__":  # pragma: no cover - the child process
    sys.stdout.buffer.write(draw(json.loads(sys.stdin.buffer.read())))
