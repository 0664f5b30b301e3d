"""Ask: a question about a selection, a file or the repository, answered by the chat
model with the repository map, the relevant definitions and the code asked about as
context, streamed, with the sources it was given listed. Fronts (``coder ask``, the
TUI) hold one ``AskSession`` per conversation, so follow-ups keep what came before.

The names below are loaded on first use (PEP 562): a front that only needs
``coder.ask.target`` at start-up (the TUI's first screen) does not pay for the
context builder and the ranking (numpy) before it is on screen."""

from __future__ import annotations

import importlib

_WHERE = {
    "AskContext": "coder.ask.context", "Source": "coder.ask.context", "build_ask_context": "coder.ask.context",
    "AskReply": "coder.ask.session", "AskSession": "coder.ask.session",
    "AskTarget": "coder.ask.target", "parse_target": "coder.ask.target",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'coder.ask' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
