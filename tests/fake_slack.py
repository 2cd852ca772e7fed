"""A fake Slack Web API: a threaded local HTTP server that records every call and checks what it is sent.

Modelled on slack-bolt's own tests (tests/mock_web_api_server): the real WebClient talks HTTP to it.
Every message and view is parsed with slack_sdk's Block Kit models and checked against Slack's limits;
anything Slack would reject is recorded in `problems`, which the test fixture asserts is empty.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.slack_rules import RateTiers, strict_block_problems, strict_view_problems

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"}
STOP_POLL_SECONDS = 0.005
TRIGGER_SECONDS = 3.0
VIEW_METHODS = {"views.open", "views.update", "views.push", "views.publish"}


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    path: str = ""
    at: Any = None  # the test's clock when the call arrived, if the fake was given one
    ok: bool = True  # False for a scripted failure or stall (fail_next, stall_next)


@dataclass
class Failure:
    status: int
    error: str
    retry_after: int | None = None
    times: int = 1
    stall: float = 0.0  # seconds to hold the answer: longer than the client's timeout, a time-out


def block_problems(blocks: Any, limit: int, where: str) -> list[str]:
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"{where}: blocks is not a list"]
    problems = []
    if len(blocks) > limit:
        problems.append(f"{where}: {len(blocks)} blocks (Slack allows {limit})")
    for number, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            if block is None:
                problems.append(f"{where}: block {number} has an unknown type {raw.get('type')!r}")
                continue
            block.validate_json()
            if block.to_dict() != _without_none(raw):
                problems.append(f"{where}: block {number} has fields Slack does not know: {raw}")
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as error:
            problems.append(f"{where}: block {number} is invalid: {error}")
    return problems


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def message_problems(method: str, body: dict[str, Any]) -> list[str]:
    problems = block_problems(body.get("blocks"), MESSAGE_BLOCKS, method)
    text = body.get("text")
    if not body.get("blocks") and not text and method != "response_url":
        problems.append(f"{method}: neither text nor blocks")
    if body.get("blocks") and not text:
        problems.append(f"{method}: blocks without fallback text (notifications would be empty)")
    if text and len(text) > MESSAGE_TEXT:
        problems.append(f"{method}: text of {len(text)} characters")
    if method in ("chat.postMessage", "chat.postEphemeral", "chat.update") and not body.get("channel"):
        problems.append(f"{method}: no channel")
    return problems


def view_problems(method: str, view: Any) -> list[str]:
    if not isinstance(view, dict):
        return [f"{method}: no view"]
    problems = block_problems(view.get("blocks"), VIEW_BLOCKS, method)
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError) as error:
        problems.append(f"{method}: view is invalid: {error}")
    return problems


@dataclass
class FakeSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channel_members: dict[str, list[str]] = field(default_factory=dict)  # conversations.members
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # usergroups.users.list
    answers: dict[str, Any] = field(default_factory=dict)  # method -> answer dict, or callable(body) -> dict
    uploads: list[bytes] = field(default_factory=list)  # file bodies sent to files.getUploadURLExternal's URL
    calls: list[Call] = field(default_factory=list)
    clock: Callable[[], Any] | None = None  # stamps each Call's `at`
    problems: list[str] = field(default_factory=list)
    # As strict as Slack: triggers expire and work once, rate tiers answer 429, unknown messages are refused.
    tiers: RateTiers = field(default_factory=RateTiers)
    throttled: list[str] = field(default_factory=list)  # calls a tier refused; the fixture fails on any
    allow_throttling: bool = False  # a test that means to go over a tier sets it
    not_in_channel: set[str] = field(default_factory=set)  # channels the bot is not a member of
    missing_channels: set[str] = field(default_factory=set)  # channels that do not exist
    missing_scopes: set[str] = field(default_factory=set)  # methods the token lacks the scope for
    user_groups_plan: bool = True  # False: a free workspace, where every usergroups.* call is refused
    posted: set[tuple[str, str]] = field(default_factory=set)  # (channel, ts) of every message posted
    uploaded_ids: set[str] = field(default_factory=set)  # file ids whose bytes reached their upload URL
    _triggers: dict[str, float] = field(default_factory=dict)
    _skipped: float = 0.0  # seconds the code under test waited without sleeping (see skip())
    _failures: dict[str, list[Failure]] = field(default_factory=dict)
    _ts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if self.path.startswith("/upload/"):
                    with fake._lock:
                        fake.uploads.append(data)
                        fake.uploaded_ids.add(self.path.removeprefix("/upload/"))
                    status, headers, payload = 200, {}, b"OK"
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                raw = data.decode("utf-8")
                status, headers, payload = fake.handle(self.path, self.headers.get("Content-Type", ""), raw)
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # socketserver's stop waits for the loop's next poll: 0.5 s by default, on every test's teardown.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(STOP_POLL_SECONDS,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def response_url(self, name: str = "hook") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/response/{name}"

    # --- time and triggers ---

    def now(self) -> float:
        """The fake's time, for rate tiers and triggers: real time plus what the code waited without sleeping."""
        return time.monotonic() + self._skipped

    def skip(self, seconds: float) -> None:
        """The code under test waited `seconds` without sleeping (the tests' dispatcher): time passes here too."""
        with self._lock:
            self._skipped += max(seconds, 0.0)

    def issue_trigger(self, trigger_id: str) -> None:
        """Slack hands a trigger_id with every slash command and interaction: it opens one view within 3 s."""
        with self._lock:
            self._triggers[trigger_id] = self.now()

    # --- scripting failures ---

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls to `method` answer `status` with `ok: false` (and Retry-After when given)."""
        with self._lock:
            self._failures.setdefault(method, []).append(Failure(status, error, retry_after, times))

    def stall_next(self, method: str, *, seconds: float, times: int = 1) -> None:
        """The next `times` calls to `method` get no answer for `seconds` (then a 504): a client with a shorter
        timeout sees a time-out. Like a real time-out, the fake does not count the message as delivered."""
        with self._lock:
            failure = Failure(504, "request_timeout", None, times, stall=seconds)
            self._failures.setdefault(method, []).append(failure)

    # --- reading what was sent ---

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call.body for call in self.calls if call.method == method]

    def delivered(self, method: str) -> list[Call]:
        """The calls to `method` that were answered ok, in order."""
        with self._lock:
            return [call for call in self.calls if call.method == method and call.ok]

    def methods(self) -> list[str]:
        with self._lock:
            return [call.method for call in self.calls]

    def reset(self) -> None:
        with self._lock:
            self.throttled.clear()
            self.calls.clear()
            self.uploads.clear()
            self.problems.clear()
            self._failures.clear()

    # --- answering ---

    def handle(self, path: str, content_type: str, raw: str) -> tuple[int, dict[str, str], Any]:
        body = _decode(content_type, raw)
        if path.startswith("/response/"):
            method = "response_url"
        elif path.startswith("/api/"):
            method = path[len("/api/") :].split("?")[0]
        else:
            return 404, {}, {"ok": False, "error": "unknown_path"}
        with self._lock:
            call = Call(method, body, path, at=self.clock() if self.clock else None)
            self.calls.append(call)
            failure = self._take_failure(method)
            call.ok = failure is None
            retry_after = self.tiers.retry_after(method, self.now()) if failure is None else None
        if failure is not None:
            if failure.stall:
                time.sleep(failure.stall)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return failure.status, headers, {"ok": False, "error": failure.error}
        if retry_after is not None:
            call.ok = False
            with self._lock:
                self.throttled.append(f"{method}: over its rate tier ({self.tiers.limits[method]} a minute)")
            return 429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"}
        refusal = self._refusal(method, body)
        if refusal is not None:
            call.ok = False
            return 200, {}, {"ok": False, "error": refusal}
        if method in MESSAGE_METHODS:
            self._record_problems(message_problems(method, body))
            self._record_problems(strict_block_problems(body.get("blocks"), method))
        if method in VIEW_METHODS:
            self._record_problems(view_problems(method, body.get("view")))
            self._record_problems(strict_view_problems(body.get("view"), method))
        return 200, {}, self._answer(method, body)

    def _refusal(self, method: str, body: dict[str, Any]) -> str | None:
        """What Slack answers `ok: false` to: an expired or used trigger, a channel the bot cannot post in, a
        scope the token lacks, an update of a message the bot never posted."""
        if method in self.missing_scopes:
            return "missing_scope"
        if method.startswith("usergroups.") and not self.user_groups_plan:
            return "paid_teams_only"
        channel = str(body.get("channel") or "")
        if method.startswith("chat.") and channel in self.missing_channels:
            return "channel_not_found"
        if method in ("chat.postMessage", "chat.update") and channel in self.not_in_channel:
            return "not_in_channel"
        if method in ("views.open", "views.push"):
            with self._lock:
                issued = self._triggers.pop(str(body.get("trigger_id")), None)
            if issued is None or self.now() - issued > TRIGGER_SECONDS:
                self._record_problems([f"{method}: trigger_id expired, used already, or never issued"])
                return "expired_trigger_id"
        if method == "files.completeUploadExternal" and not self._all_uploaded(body.get("files")):
            self._record_problems(["files.completeUploadExternal of a file whose bytes were never uploaded"])
            return "file_not_found"
        if method == "chat.update" and (channel, str(body.get("ts"))) not in self.posted:
            self._record_problems([f"chat.update of a message never posted: {channel} {body.get('ts')}"])
            return "message_not_found"
        return None

    def _all_uploaded(self, files: Any) -> bool:
        """Slack completes only files whose bytes reached the upload URL it gave (files.getUploadURLExternal)."""
        listed = json.loads(files) if isinstance(files, str) else files or []
        with self._lock:
            return bool(listed) and all(str(f.get("id")) in self.uploaded_ids for f in listed)

    def _take_failure(self, method: str) -> Failure | None:
        queue = self._failures.get(method) or []
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    def _record_problems(self, problems: list[str]) -> None:
        if problems:
            with self._lock:
                self.problems.extend(problems)

    def _next_ts(self) -> str:
        with self._lock:
            self._ts += 1
            return f"1700000000.{self._ts:06d}"

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method in self.answers:
            answer = self.answers[method]
            return answer(body) if callable(answer) else answer
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "bridgebot",
                "team_id": "T0001",
                "user_id": "UBOT",
                "bot_id": "BBOT",
            }
        if method in ("chat.postMessage", "chat.update"):
            channel = str(body.get("channel") or "")
            if method == "chat.postMessage" and channel[:1] in ("U", "W"):
                channel = "D" + channel[1:]  # a DM posted to a user comes back in its D… conversation
            ts = body.get("ts") or self._next_ts()
            with self._lock:
                self.posted.add((channel, ts))
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text")}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in VIEW_METHODS:
            return {"ok": True, "view": {**(body.get("view") or {}), "id": "V0001"}}
        if method == "users.info":
            user_id = body.get("user", "")
            user = self.users.get(user_id, {"id": user_id, "name": user_id.lower(), "tz": "Europe/London"})
            return {"ok": True, "user": user}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", "X"))[1:]}}
        if method == "conversations.members":
            members = self.channel_members.get(str(body.get("channel")), [])
            limit = int(body.get("limit") or 100)
            start = int(body.get("cursor") or 0)
            page, more = members[start : start + limit], start + limit < len(members)
            return {
                "ok": True,
                "members": page,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            }
        if method == "conversations.info":
            channel = str(body.get("channel") or "")
            if channel in self.missing_channels or (channel.startswith("G") and channel in self.not_in_channel):
                return {"ok": False, "error": "channel_not_found"}  # a private channel the bot is not in, too
            return {
                "ok": True,
                "channel": {
                    "id": channel,
                    "is_private": channel.startswith("G"),
                    "is_member": channel not in self.not_in_channel,
                },
            }
        if method == "usergroups.users.update":
            group, users = str(body.get("usergroup")), [u for u in str(body.get("users") or "").split(",") if u]
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            if not users:
                return {"ok": False, "error": "no_users_provided"}  # Slack will not empty a group
            with self._lock:
                self.usergroups[group] = users
            return {"ok": True, "usergroup": {"id": group, "users": users, "user_count": len(users)}}
        if method == "usergroups.users.list":
            group = str(body.get("usergroup"))
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.usergroups[group]}
        if method == "files.getUploadURLExternal":
            file_id = f"F{self._next_ts()[-6:]}"
            port = self._server.server_address[1]
            return {"ok": True, "upload_url": f"http://127.0.0.1:{port}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method == "response_url":
            return {"ok": True}
        return {"ok": True}


def _decode(content_type: str, raw: str) -> dict[str, Any]:
    body = json.loads(raw or "{}") if "json" in content_type else {k: v[0] for k, v in parse_qs(raw).items()}
    for name in ("blocks", "view", "attachments"):
        if isinstance(body.get(name), str):
            body[name] = json.loads(body[name])
    return body
