"""The liaison pools: who is on the marketing and IT sides, joining, leaving, being away, and the user-group sync."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from bot.liaison_base import BOT, GROUP_SYNC_EVERY, AwayOutcome, GroupReader, JoinOutcome
from bot.liaison_rules import SIDES, Member, local_date
from bot.liaison_seats import SeatsPart
from bot.liaison_views import TermView
from bot.outcomes import Refused
from storage.liaison import LiaisonRepository

log = logging.getLogger("bot.liaison")  # the service's log, whichever part writes it


class PoolsPart(SeatsPart):
    # Set by LiaisonService.__init__.
    group_reader: GroupReader | None
    _groups_synced_at: datetime | None

    def side_of(self, user_id: str) -> str | None:
        """'marketing', 'it' or None: the side a person's pool membership says they are on."""
        member = self.member(user_id)
        return member.side if member else None

    def sides_by_pool(self) -> dict[str, str]:
        """User ID -> 'marketing' or 'it' for everyone in a pool (e.g. /lunchlearn attendance by side)."""
        return {member.user_id: side for side, members in self.pools().items() for member in members}

    def member(self, user_id: str) -> Member | None:
        with self.reading() as work:
            return work.repo(LiaisonRepository).active_member(user_id)

    def pools(self) -> dict[str, list[Member]]:
        with self.reading() as work:
            repository = work.repo(LiaisonRepository)
            return {side: repository.active_members(side) for side in SIDES}

    def join(self, user_id: str, side: str) -> JoinOutcome:
        if side not in SIDES:
            raise Refused("unknown_side")
        with self.work() as work:
            repository = work.repo(LiaisonRepository)
            current = repository.active_member(user_id)
            if current is not None and current.side == side:
                return JoinOutcome(side, None, True)
            repository.join(user_id, side, source="manual", by=user_id, at=work.now)
            if current is not None:
                self._replace_in_future_terms(work, user_id, by=user_id)
        return JoinOutcome(side, current.side if current else None, False)

    def leave(self, user_id: str) -> bool:
        with self.work() as work:
            repository = work.repo(LiaisonRepository)
            if repository.active_member(user_id) is None:
                return False
            repository.leave(user_id, by=user_id, at=work.now)
            self._replace_in_future_terms(work, user_id, by=user_id)
        return True

    def set_away(self, user_id: str, until: date | None) -> AwayOutcome:
        """Out of picks through `until` (None: back now). A turn already picked for them that starts while they
        are away goes to the next fair pick (they keep their place, as anyone away at a pick does); a turn
        already running, or one nobody else can take, stays theirs and is reported in `still_held`."""
        now = self.clock()
        if until is not None and until < local_date(now, self._zone()):
            raise Refused("away_in_past")
        passed_on: list[TermView] = []
        still_held: list[TermView] = []
        with self.work(now) as work:
            repository = work.repo(LiaisonRepository)
            if repository.active_member(user_id) is None:
                raise Refused("not_in_pool")
            repository.set_away(user_id, until, by=user_id, at=now)
            if until is not None:
                zone = self._zone(work)
                for term in repository.terms(ending_after=now):
                    side = term.slots.side_of(user_id)
                    if side is None or local_date(term.starts_at, zone) > until:
                        continue
                    if term.starts_at > now and self._hand_on(work, term, side, user_id):
                        passed_on.append(repository.term(term.id) or term)
                    else:
                        still_held.append(term)
        return AwayOutcome(passed_on, still_held)

    def set_group_reader(self, reader: GroupReader) -> None:
        """How to read a Slack user group's members (the handler provides it: Slack stays at the edge)."""
        self.group_reader = reader

    def sync_group(self, side: str, user_ids: Sequence[str]) -> tuple[int, int]:
        """Make the side's group-synced members match the group; people who left by hand stay out. (added, gone)"""
        wanted = set(user_ids)
        added = gone = 0
        with self.work() as work:
            repository = work.repo(LiaisonRepository)
            for row in repository.group_synced_members(side):
                if row.status == "active" and row.user_id not in wanted:
                    row.status, row.changed_by, row.changed_at = "gone", BOT, work.now
                    self._replace_in_future_terms(work, row.user_id, by=BOT)
                    gone += 1
            for user_id in sorted(wanted):
                member = repository.member_row(user_id)
                if member is None or (member.status == "gone" and member.source == "usergroup"):
                    repository.join(user_id, side, source="usergroup", by=BOT, at=work.now)
                    added += 1
        return added, gone

    def _sync_groups_if_due(self, now: datetime) -> None:
        """Every GROUP_SYNC_EVERY at most: each Slack read is a call, and a tick runs every minute."""
        if self.group_reader is None:
            return
        if self._groups_synced_at is not None and now - self._groups_synced_at < GROUP_SYNC_EVERY:
            return
        groups = {"marketing": self.settings.marketing_usergroup, "it": self.settings.it_usergroup}
        for side, group in groups.items():
            if not group:
                continue
            try:
                members = self.group_reader(group)
            except Exception as error:  # Slack unreachable or the group is gone: keep the pool as it is
                log.warning("could not read user group %s for the %s pool: %s", group, side, error)
                continue
            self.sync_group(side, members)
        self._groups_synced_at = now
