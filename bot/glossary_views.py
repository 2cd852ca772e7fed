"""Read models of the glossary that the edge renders: requests for a definition and a term's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RequestView:
    id: int
    term_text: str
    side: str
    channel_id: str
    requested_by: str
    requested_at: datetime
    followers: tuple[str, ...]


@dataclass(frozen=True)
class AnswerableRequests:
    """Open requests for a definition someone might answer (the newest they did not ask or follow), and how
    many such requests are open in all."""

    requests: tuple[RequestView, ...]
    count: int


@dataclass(frozen=True)
class RevisionView:
    action: str
    changed_by: str
    changed_at: datetime
    previous: dict[str, Any] | None
