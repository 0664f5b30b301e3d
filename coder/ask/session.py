"""A conversation about the repository: each question is sent with its context, the
answer streams back, and follow-ups see the earlier turns.

Context already sent in a kept turn is not sent again (the map goes with the first
turn, a definition once); when the conversation outgrows the chat model's window the
oldest turns are dropped, and what they carried is sent again when needed."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Iterator

from coder.ask.context import AskBudget, AskContext, Source, build_ask_context
from coder.ask.target import AskTarget
from coder.errors import UsageError
from coder.models.backend import ChatMessage, ChatRequest, Generation, GenerationStats
from coder.prompt_templates import render, template

ANSWER_TOKENS = 1024
CHANNEL = "ask"  # a new question cancels an answer still generating


@dataclass
class Turn:
    question: str
    target: AskTarget
    message: str  # the user message as sent, context included
    answer: str
    sources: list[Source] = field(default_factory=list)
    had_map: bool = False
    tokens: int = 0  # of message and answer together


class AskReply:
    """An answer being generated: iterate it for text pieces. ``sources`` are known
    before the first piece; ``stats`` and ``text`` are final once iteration ends. The
    turn joins the conversation when the answer ends, unless it was cancelled."""

    def __init__(self, session: "AskSession", turn: Turn, context: AskContext, generation: Generation):
        self.context = context
        self.sources = context.sources
        self._session = session
        self._turn = turn
        self._generation = generation
        self._pieces: list[str] = []
        self.started = time.perf_counter()
        self.finished = False

    @property
    def question(self) -> str:
        return self._turn.question

    @property
    def target(self) -> AskTarget:
        return self._turn.target

    @property
    def stats(self) -> GenerationStats:
        return self._generation.stats

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    @property
    def cancelled(self) -> bool:
        return self.stats.finish_reason == "cancelled"

    def tokens_per_second(self) -> float | None:
        """Generation speed after the first token (what the reader sees streaming)."""
        stats = self.stats
        if stats.generated_tokens < 2 or stats.time_to_first_token_s is None:
            return None
        seconds = stats.total_s - stats.time_to_first_token_s
        return (stats.generated_tokens - 1) / seconds if seconds > 0 else None

    def __iter__(self) -> Iterator[str]:
        for piece in self._generation:
            self._pieces.append(piece)
            yield piece
        self.finished = True
        if not self.cancelled:
            self._turn.answer = self.text.strip()
            self._session._keep(self._turn)

    def cancel(self) -> None:
        self._generation.cancel()


class AskSession:
    """One conversation with the chat model about one repository index."""

    def __init__(self, backend, index, *, budget: AskBudget = AskBudget(), answer_tokens: int = ANSWER_TOKENS,
                 temperature: float = 0.0):
        self.backend = backend
        self.index = index
        self.budget = budget
        self.answer_tokens = answer_tokens
        self.temperature = temperature
        self.turns: list[Turn] = []
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self.backend.tokenize(text))

    def ask(self, question: str, target: AskTarget | None = None) -> AskReply:
        """Start the answer to a question (a follow-up when turns came before)."""
        question = question.strip()
        if not question:
            raise UsageError("the question is empty; write what you want to know")
        target = target or AskTarget()
        system = template("ask/system").strip()
        with self._lock:
            self._fit_history(system)
            kept = list(self.turns)
        known = {s.key for turn in kept for s in turn.sources}
        with_map = not any(turn.had_map for turn in kept)
        context = build_ask_context(self.index, target, question, count_tokens=self.count_tokens,
                                    budget=self.budget, with_map=with_map, known=known)
        name = "ask/follow_up" if kept else "ask/question"
        message = render(name, context=context.text, target=target.describe(), question=question).strip()
        turn = Turn(question, target, message, "", context.sources, had_map=bool(context.map_files))
        messages = [ChatMessage("system", system)]
        for earlier in kept:
            messages += [ChatMessage("user", earlier.message), ChatMessage("assistant", earlier.answer)]
        messages.append(ChatMessage("user", message))
        generation = self.backend.chat(ChatRequest(
            messages=tuple(messages), max_tokens=self.answer_tokens, temperature=self.temperature, channel=CHANNEL,
        ))
        return AskReply(self, turn, context, generation)

    def reset(self) -> None:
        """Forget the conversation: the next question starts a new one."""
        with self._lock:
            self.turns.clear()

    def _keep(self, turn: Turn) -> None:
        turn.tokens = self.count_tokens(turn.message) + self.count_tokens(turn.answer)
        with self._lock:
            self.turns.append(turn)

    def _fit_history(self, system: str) -> None:
        """Drop the oldest turns until a new question's full context and answer fit."""
        window = self.backend.info().context_length
        fresh = self.budget.code_tokens + self.budget.definition_tokens + self.budget.map_tokens + 200
        room = window - self.answer_tokens - fresh - self.count_tokens(system)
        while self.turns and sum(t.tokens for t in self.turns) > room:
            self.turns.pop(0)
