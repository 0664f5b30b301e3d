"""Completion requests end to end: document + cursor → context → model → suggestion.

The context builder lays out the prompt in the model's format (FIM where the model
has it, prefix-only otherwise) with cross-file definitions from the repository index;
the model's output is cut to the current line (or to the block, on an empty line).
Fronts call ``CompletionEngine.complete`` and nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from coder.completion.grounded import check_grounded, plan_grounding
from coder.completion.postprocess import decide_mode, postprocess
from coder.completion.suggestion_cache import SuggestionCache
from coder.errors import UsageError
from coder.models.backend import Backend, GenerationRequest

@dataclass(frozen=True)
class CompletionRequest:
    path: str
    text: str
    line: int  # 0-based
    column: int  # 0-based, in characters
    language: str = "text"
    max_tokens: int = 64
    budget_tokens: int = 1024
    context: str = "local"  # none | local | repo
    multiline: str = "auto"  # auto | always | never
    grounded: bool = True  # steer and check names against the repository index


@dataclass
class Suggestion:
    text: str
    line: int  # where it is inserted, 0-based
    column: int
    mode: str  # single | multi
    cached: bool = False
    timings_ms: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    sources: list = field(default_factory=list)
    format: str = ""
    grounding: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON shape, positions 1-based as editors show them."""
        return {
            "text": self.text,
            "range": {
                "start": {"line": self.line + 1, "column": self.column + 1},
                "end": {"line": self.line + 1, "column": self.column + 1},
            },
            "mode": self.mode,
            "cached": self.cached,
            "timings_ms": self.timings_ms,
            "tokens": self.tokens,
            "sources": self.sources,
            "format": self.format,
            "grounding": self.grounding,
        }


def split_at(text: str, line: int, column: int) -> tuple[str, str]:
    """Prefix and suffix of text at a 0-based position; UsageError when outside."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        raise UsageError(f"line {line + 1} is outside the file ({len(lines)} lines)")
    if not 0 <= column <= len(lines[line]):
        raise UsageError(
            f"column {column + 1} is outside line {line + 1} ({len(lines[line])} characters)"
        )
    offset = sum(len(l) + 1 for l in lines[:line]) + column
    return text[:offset], text[offset:]


class CompletionEngine:
    """Turns completion requests into suggestions with one backend."""

    def __init__(self, backend: Backend, *, index=None):
        from coder.context.builder import ContextBuilder

        self.backend = backend
        self.builder = ContextBuilder(backend, index=index)
        self.index = index
        self.cache = SuggestionCache()
        self.last_raw = ""  # the model's output before trimming, for benchmarks

    def complete(self, request: CompletionRequest) -> Suggestion:
        started = time.perf_counter()
        prefix, suffix = split_at(request.text, request.line, request.column)
        mode = self._mode(request, prefix, suffix)
        cached = self.cache.get(request.path, prefix, suffix)
        if cached is not None:
            return Suggestion(
                cached, request.line, request.column, mode, cached=True,
                timings_ms={"total": round((time.perf_counter() - started) * 1000, 2)},
            )
        context = self.builder.build(
            request.text, request.language, request.path, request.line, request.column,
            budget_tokens=request.budget_tokens, max_new_tokens=request.max_tokens,
            level=request.context, prefix=prefix, suffix=suffix,
        )
        plan = None
        if request.grounded and request.context == "repo":
            plan = plan_grounding(self.index, request.path, request.text, request.line, request.column, request.language)
        built = time.perf_counter()
        generation = self.backend.stream(
            GenerationRequest(
                context.token_ids,
                max_tokens=request.max_tokens,
                stop=("\n",) if mode == "single" else ("\n\n\n",),
                channel=request.path,
                grammar=plan.grammar if plan is not None else None,
            )
        )
        raw = generation.text()
        self.last_raw = raw
        done = time.perf_counter()
        text = postprocess(raw, language=request.language, prefix=prefix, suffix=suffix, mode=mode)
        if plan is not None and text and not check_grounded(
            plan, text, self.index, request.path, request.text, request.line, request.column, request.language
        ):
            text = ""  # it names something that does not exist: show nothing rather than that
        if generation.stats.finish_reason != "cancelled":
            self.cache.put(request.path, prefix, suffix, text)
        stats = generation.stats
        return Suggestion(
            text,
            request.line,
            request.column,
            mode,
            timings_ms={
                "context": round((built - started) * 1000, 2),
                "model": round((done - built) * 1000, 2),
                "first_token": round((stats.time_to_first_token_s or 0) * 1000, 2),
                "total": round((time.perf_counter() - started) * 1000, 2),
            },
            tokens={
                "prompt": stats.prompt_tokens,
                "evaluated": stats.evaluated_tokens,
                "reused": stats.reused_tokens,
                "generated": stats.generated_tokens,
                "finish_reason": stats.finish_reason,
                "stable": context.stable_tokens,
            },
            sources=context.sources,
            format=context.format_name,
            grounding=plan.report if plan is not None else {},
        )

    @staticmethod
    def _mode(request: CompletionRequest, prefix: str, suffix: str) -> str:
        if request.multiline in ("always", "never"):
            return "multi" if request.multiline == "always" else "single"
        return decide_mode(request.language, prefix, suffix)
