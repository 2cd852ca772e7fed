"""The time-zone picker: grouped by region within Slack's limits, the person's own first, and accepted by Block Kit."""

from __future__ import annotations

import zoneinfo

from slack_sdk.models.blocks import InputBlock

from handlers.zones import GROUP_LIMIT, city, zone_groups, zone_select


def test_every_group_fits_slacks_limits_and_every_zone_is_real() -> None:
    groups = zone_groups()
    assert len(groups) <= 100
    for label, zones in groups:
        assert 1 <= len(zones) <= GROUP_LIMIT and len(label) <= 75, label
        assert all(zone in zoneinfo.available_timezones() for zone in zones)
    listed = [zone for _, zones in groups for zone in zones]
    assert len(listed) == len(set(listed)) and {"UTC", "Europe/London", "America/New_York", "Asia/Tokyo"} <= set(listed)


def test_people_read_cities_not_iana_names() -> None:
    assert city("America/New_York") == "New York"
    assert city("America/Argentina/Buenos_Aires") == "Buenos Aires (Argentina)"
    assert city("UTC") == "UTC"


def test_the_persons_own_zone_comes_first_chosen_and_once_and_slack_would_accept_the_picker() -> None:
    block = zone_select("zone", "Time zone", "Europe/Berlin")
    element = block["element"]

    assert element["initial_option"]["value"] == "Europe/Berlin"
    assert element["option_groups"][0]["label"]["text"] == "Yours"
    values = [option["value"] for group in element["option_groups"] for option in group["options"]]
    assert values.count("Europe/Berlin") == 1
    InputBlock(**block).validate_json()  # raises on anything Slack would refuse
