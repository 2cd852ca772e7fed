"""The liaison user group (LIAISON_USERGROUP, e.g. @liaisons): at every handover its members become the new pair.

The change is an outbox row (usergroups.users.update), so it is retried and never lost; it is written when the
term starts (and again whenever its seats change while it runs), under a key naming the seats' version, and
a newer version replaces one still waiting. Slack refuses to empty a group, and so does this: a term with no
one seated sends nothing, and the old pair stays until a new one is set.

User groups need a paid Slack plan. The first tick (at start) asks Slack for the group once; a workspace
without user groups, a group that does not exist, or a missing scope is one clear log line, and the feature is
off until the next start. When Slack cannot be reached, the next tick asks again (updates are queued meanwhile).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.liaison_base import liaison_key
from bot.liaison_rules import SIDES
from bot.liaison_views import TermView
from bot.notify import Outgoing

log = logging.getLogger("bot.liaison")

# (the group) → None when Slack lists it, else Slack's error code; raises when Slack could not be asked.
GroupCheck = Callable[[str], str | None]

NO_USER_GROUPS = frozenset({"paid_teams_only", "paid_only", "plan_upgrade_required", "team_not_paid"})
REFUSED_FOR_GOOD = {
    **dict.fromkeys(
        NO_USER_GROUPS,
        "this workspace has no user groups (they need a paid Slack plan), so the liaison group is not kept; "
        "unset LIAISON_USERGROUP to silence this",
    ),
    "no_such_subteam": "it names no user group of this workspace: copy the group's ID (S…) from its profile",
    "subteam_not_found": "it names no user group of this workspace: copy the group's ID (S…) from its profile",
    "missing_scope": "the app lacks the usergroups:read and usergroups:write scopes: reinstall it from manifest.yml",
    "not_allowed_token_type": "the token cannot manage user groups: use the Bot User OAuth Token (xoxb-…)",
}


def update_members(group: str, term: TermView, version: int) -> Outgoing | None:
    """The call setting the group to the term's pair (marketing, then IT), or None when nobody is seated."""
    users = list(dict.fromkeys(user for side in SIDES if (user := term.liaisons.get(side))))
    if not users:
        return None
    return Outgoing(
        liaison_key("term", term.id, "group", version),
        {"usergroup": group, "users": ",".join(users)},
        "usergroups.users.update",
        due_at=term.starts_at,
        expire_at=term.ends_at,
        replaces=f"usergroup:{group}:term:{term.id}",
    )


class LiaisonGroup:
    """Whether the group is kept, and the calls that keep it. `check` is given by the edge (Slack stays there)."""

    def __init__(self, group: str | None) -> None:
        self.group = group
        self.check: GroupCheck | None = None
        self.usable = group is not None  # until Slack says otherwise
        self._checked = False

    def check_once(self) -> None:
        """Ask Slack once whether the group can be kept; a refusal for good turns the feature off, with one line."""
        if self._checked or not self.usable or self.check is None or self.group is None:
            return
        try:
            code = self.check(self.group)
        except Exception as error:  # Slack unreachable: ask again at the next tick
            log.info("could not check LIAISON_USERGROUP yet: %s", type(error).__name__)
            return
        self._checked = True
        if code in REFUSED_FOR_GOOD:
            self.usable = False
            log.warning("LIAISON_USERGROUP %s is not kept (Slack: %s): %s.", self.group, code, REFUSED_FOR_GOOD[code])
        elif code is not None:
            log.warning("LIAISON_USERGROUP %s could not be read (Slack: %s); updates go on.", self.group, code)

    def update(self, term: TermView, version: int, now: datetime) -> Outgoing | None:
        """The update for a term that has started (or starts within the planning look-ahead) and not ended."""
        if not self.usable or self.group is None or term.ends_at <= now:
            return None
        return update_members(self.group, term, version)
