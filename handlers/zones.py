"""The time-zone picker: every IANA zone of a region, grouped by region (Slack's option groups), the person's own
first and chosen. People pick a city, not an IANA name; the server still checks the zone it is sent."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from handlers import blocks as bk

REGIONS = ("Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic", "Indian", "Antarctica")
GROUP_LIMIT = 100  # options in one of Slack's option groups


def city(zone: str) -> str:
    """ "America/Argentina/Buenos_Aires" → "Buenos Aires (Argentina)"; "UTC" stays."""
    parts = zone.split("/")
    if len(parts) == 1:
        return zone
    place = parts[-1].replace("_", " ")
    return f"{place} ({parts[1].replace('_', ' ')})" if len(parts) > 2 else place


@functools.cache
def zone_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(label, zones) per region, cities in alphabetical order; a region over Slack's limit comes in parts."""
    zones = zoneinfo.available_timezones()
    groups: list[tuple[str, tuple[str, ...]]] = [("Universal", ("UTC",))]
    for region in REGIONS:
        names = sorted((z for z in zones if z.startswith(f"{region}/")), key=city)
        parts = [names[start : start + GROUP_LIMIT] for start in range(0, len(names), GROUP_LIMIT)]
        for part in parts:
            label = region if len(parts) == 1 else f"{region} ({city(part[0])[:1]}–{city(part[-1])[:1]})"
            groups.append((label, tuple(part)))
    return tuple(groups)


def zone_select(block_id: str, label: str, initial: str) -> bk.Block:
    """A required picker of time zones grouped by region, `initial` (the person's own) chosen and listed first."""

    def option(zone: str) -> bk.Block:
        return {"text": bk.plain(city(zone), 75), "value": zone}

    groups: list[dict[str, Any]] = [
        {"label": bk.plain(name, 75), "options": [option(z) for z in zones]} for name, zones in zone_groups()
    ]
    if initial:
        groups.insert(0, {"label": bk.plain("Yours", 75), "options": [option(initial)]})
        for group in groups[1:]:
            group["options"] = [o for o in group["options"] if o["value"] != initial] or group["options"]
    element: bk.Block = {"type": "static_select", "action_id": "value", "option_groups": groups}
    if initial:
        element["initial_option"] = option(initial)
    return {"type": "input", "block_id": block_id, "label": bk.plain(label, 2000), "element": element}
