"""Ask: a question about a selection, a file or the repository, answered by the chat
model with the repository map, the relevant definitions and the code asked about as
context, streamed, with the sources it was given listed. Fronts (``coder ask``, the
TUI) hold one ``AskSession`` per conversation, so follow-ups keep what came before."""

from coder.ask.context import AskContext, Source, build_ask_context
from coder.ask.session import AskReply, AskSession
from coder.ask.target import AskTarget, parse_target

__all__ = [
    "AskContext", "AskReply", "AskSession", "AskTarget", "Source", "build_ask_context", "parse_target",
]
