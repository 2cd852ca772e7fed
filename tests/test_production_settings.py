"""OUTBOX_LEASE_SECONDS: how long a dispatcher holds the rows it claimed before another may take them over;
LOOKUP_FLUSH_SECONDS and LOOKUP_BUFFER_ROWS: how long and how many glossary lookups wait in memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import build_services
from bot.config import ConfigError, settings_from
from bot.services import Services
from tests.conftest import FakeClock, make_settings
from tests.fake_slack import FakeSlack

MINIMAL = {"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef"}


def test_the_lease_is_two_minutes_unless_set() -> None:
    assert settings_from(MINIMAL).outbox_lease_seconds == 120
    assert settings_from({**MINIMAL, "OUTBOX_LEASE_SECONDS": "30"}).outbox_lease_seconds == 30


@pytest.mark.parametrize("value", ["0", "-5", "2.5", "two minutes"])
def test_a_malformed_lease_is_one_line_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from({**MINIMAL, "OUTBOX_LEASE_SECONDS": value})

    assert "OUTBOX_LEASE_SECONDS" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_dispatcher_built_for_the_bot_uses_the_lease(
    fake_slack: FakeSlack, database_url: str, clock: FakeClock
) -> None:
    services: Services = build_services(make_settings(fake_slack, database_url, outbox_lease_seconds=7), clock=clock)
    try:
        assert services.dispatcher.lease == timedelta(seconds=7)
    finally:
        services.engine.dispose()


def test_lookups_wait_a_second_and_500_rows_at_most_unless_set(fake_slack: FakeSlack, database_url: str) -> None:
    assert (settings_from(MINIMAL).lookup_flush_seconds, settings_from(MINIMAL).lookup_buffer_rows) == (1, 500)
    configured = settings_from({**MINIMAL, "LOOKUP_FLUSH_SECONDS": "5", "LOOKUP_BUFFER_ROWS": "50"})
    services = build_services(make_settings(fake_slack, database_url, lookup_flush_seconds=5, lookup_buffer_rows=50))
    try:
        assert (configured.lookup_flush_seconds, configured.lookup_buffer_rows) == (5, 50)
        lookups = services.glossary.lookups
        assert (lookups.flush_seconds, lookups.max_rows) == (5, 50)
    finally:
        services.engine.dispose()


@pytest.mark.parametrize("name", ["LOOKUP_FLUSH_SECONDS", "LOOKUP_BUFFER_ROWS"])
def test_a_malformed_lookup_bound_is_one_line_naming_the_variable(name: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from({**MINIMAL, name: "0.5"})

    assert name in str(raised.value) and "\n" not in str(raised.value)
