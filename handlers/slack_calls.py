"""The Web API calls the edge makes while a person waits, shaped as Slack's rate tiers and deadlines ask.

- A `trigger_id` lives 3 seconds: what is asked of Slack before `views.open` (the asker's time zone) gets at
  most `QUICK_SECONDS`, with no retry, and a default when it does not answer in time.
- `usergroups.users.list` is Tier 2 (about 20 a minute): a group's members are kept for `GROUP_TTL_SECONDS`.
- `conversations.open` is Tier 3 (about 50 a minute): calls are spaced `OPEN_SPACING_SECONDS` apart, and a 429
  is waited out as its `Retry-After` says (slack_sdk's RateLimitErrorRetryHandler), not taken for a refusal.
- `conversations.members` pages 200 at a time (Slack's documented limit is "under 1000").
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from handlers.envelope import is_slack_upload_url

QUICK_SECONDS = 1  # whole seconds: slack_sdk's timeout
GROUP_TTL_SECONDS = 300.0
OPEN_SPACING_SECONDS = 1.2
MEMBERS_PAGE = 200

# Per client, weakly: a client that is gone takes its companions with it (an id could be reused by a new one).
_quick_clients: weakref.WeakKeyDictionary[WebClient, WebClient] = weakref.WeakKeyDictionary()
_quick_lock = threading.Lock()


def quick_client(client: WebClient) -> WebClient:
    """A client of the same workspace and API URL that gives up after QUICK_SECONDS and never retries."""
    with _quick_lock:
        quick = _quick_clients.get(client)
        if quick is None:
            quick = WebClient(token=client.token, base_url=client.base_url, timeout=QUICK_SECONDS, retry_handlers=[])
            _quick_clients[client] = quick
        return quick


def time_zone(client: WebClient, user_id: str, default: str) -> str:
    """The person's IANA time zone, or `default` when Slack does not say so quickly."""
    try:
        profile: dict[str, Any] = quick_client(client).users_info(user=user_id).get("user") or {}
    except Exception:  # a refusal, a time-out or a broken connection: the form opens with the default
        return default
    return str(profile.get("tz") or default)


class GroupMembers:
    """usergroups.users.list, each group's answer kept for a while (Tier 2 is about 20 calls a minute)."""

    def __init__(self, client: WebClient, *, ttl: float = GROUP_TTL_SECONDS, now: Callable[[], float] = time.monotonic):
        self.client = client
        self.ttl = ttl
        self.now = now
        self._cache: dict[str, tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    def __call__(self, group: str) -> list[str]:
        with self._lock:
            cached = self._cache.get(group)
            if cached is not None and self.now() - cached[0] < self.ttl:
                return list(cached[1])
        members = list(self.client.usergroups_users_list(usergroup=group).get("users") or [])  # raises when refused
        with self._lock:
            self._cache[group] = (self.now(), members)
        return members


class ConversationOpener:
    """conversations.open for a group DM, spaced for Tier 3 and waiting out a 429's Retry-After."""

    def __init__(
        self, client: WebClient, *, spacing: float | None = None, sleep: Callable[[float], Any] = time.sleep
    ) -> None:
        self.client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            retry_handlers=[*client.retry_handlers, RateLimitErrorRetryHandler(max_retry_count=2)],
        )
        self.spacing = OPEN_SPACING_SECONDS if spacing is None else spacing  # read now: tests set it to 0
        self.sleep = sleep
        self._last = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, users: Sequence[str]) -> str:
        with self._lock:
            wait = self._last + self.spacing - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            try:
                return str(self.client.conversations_open(users=",".join(users))["channel"]["id"])
            finally:
                self._last = time.monotonic()


def channel_members(client: WebClient, channel: str) -> set[str]:
    """Every member of a channel, page by page. Raises SlackApiError when Slack refuses."""
    members: set[str] = set()
    cursor = None
    while True:
        page = client.conversations_members(channel=channel, cursor=cursor, limit=MEMBERS_PAGE)
        members.update(page.get("members") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return members


def group_problem(client: WebClient) -> Callable[[str], str | None]:
    """Whether Slack lists a user group: None when it does, else its error code (a free workspace answers
    `paid_teams_only`); a time-out or a broken connection raises. Through the cached reader, as a pool sync."""
    reader = group_members(client)

    def problem(group: str) -> str | None:
        try:
            reader(group)
        except SlackApiError as error:
            return str(error.response.get("error") or "no error code")
        return None

    return problem


_group_readers: weakref.WeakKeyDictionary[WebClient, GroupMembers] = weakref.WeakKeyDictionary()


def group_members(client: WebClient) -> GroupMembers:
    """The one cached reader of user groups for this client (shared by /liaison's pools and /lunchlearn stats)."""
    with _quick_lock:
        reader = _group_readers.get(client)
        if reader is None:
            reader = _group_readers[client] = GroupMembers(client)
        return reader


class SlackClient(WebClient):
    """The bot's Web API client: files_upload_v2 sends a file's bytes only to Slack's files host (or, in tests,
    to SLACK_API_URL's origin), whatever URL an answer names."""

    def __init__(self, *, upload_also_allowed: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.upload_also_allowed = upload_also_allowed

    def _upload_file(self, *, url: str, data: bytes, **options: Any) -> Any:
        if not is_slack_upload_url(url, also_allowed=self.upload_also_allowed):
            raise SlackRequestError("refused to upload a file to a host that is not Slack's")
        return super()._upload_file(url=url, data=data, **options)
