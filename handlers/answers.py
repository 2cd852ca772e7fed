"""The words for outcomes (bot/outcomes.py), written once for every feature's surfaces."""

from __future__ import annotations


def gone(thing: str, *, consequence: str = "so nothing was changed") -> str:
    """What a person is told when what they acted on was deleted, cancelled or never existed."""
    return f"That {thing} no longer exists, {consequence}."


def changed_meanwhile(thing: str) -> str:
    return f"This {thing} was cancelled or removed meanwhile, so nothing was added."
