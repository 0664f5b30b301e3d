"""Completion requests end to end: document + cursor → context → model → suggestion.

The context builder lays out the prompt in the model's format (FIM where the model
has it, prefix-only otherwise) with cross-file definitions from the repository index;
the model's output is cut to the current line (or to the block, on an empty line).
Fronts call ``CompletionEngine.complete`` and nothing else.

A request may take more than one generation: the first is greedy; when it names
something the index knows does not exist, or (for a model that cannot see the code
after the cursor) it does not fit that code, further candidates are sampled, up to
``CompletionRequest.candidates`` in all. The prompt is the same for each, so only the
generated tokens cost again.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field, replace

from coder.completion.continuation import Continuation, shown_part
from coder.completion.grounded import GROUNDING_MODES, check_grounded, first_token_bias, plan_grounding
from coder.completion.postprocess import INDENT_LANGUAGES, block_ended, decide_mode, postprocess
from coder.completion.suffix_fit import keeps_syntax, repeats_next_line
from coder.completion.suggestion_cache import SuggestionCache
from coder.errors import UsageError
from coder.models.backend import Backend, GenerationRequest, GenerationStats

# Sampling for the candidates after the greedy one: varied enough to differ, tight
# enough to stay plausible for a small model.
CANDIDATE_TEMPERATURE = 0.7
CANDIDATE_TOP_P = 0.9
# Another candidate is only started while the request is younger than this: while
# typing, a late suggestion is worth less than the first one (the typing replay's
# p95 went from 300 to 530 ms with unbounded retries).
CANDIDATE_DEADLINE_MS = 250
# The same for a request the user made (no typing deadline: a key, the menu): a
# rejected first candidate otherwise leaves nothing to show, and the user is waiting
# for an answer, not typing past it (HumanEval/105 on the 0.5B: a multi-line first
# candidate took 287 ms and was rejected as a copy of the next line; the retry passes).
ASKED_CANDIDATE_DEADLINE_MS = 1500
# Added to the logits of control tokens when a first generation ended at once.
END_BAN = -1000.0
LINE_ENDS = ("\n", "\n\n", "\n\n\n", " \n", "\n    ", "\n        ", "\r\n")

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
    # Names from the repository index: "off"; "hint" puts the best valid names in the
    # prompt; "on" also constrains the first identifier and checks every suggestion.
    grounding: str = "on"
    candidates: int = 3  # most generations for one request (1: the greedy one only)
    # A tree-sitter tree of text when the front keeps one per version (the language
    # server does); otherwise the builder parses when it needs the enclosing headers.
    tree: object = field(default=None, compare=False, repr=False)
    # Set from another thread to stop this request (a newer keystroke made it stale):
    # an object with ``is_set``, ``watch(generation)`` and ``unwatch(generation)``, such
    # as coder.loops.events.Cancel. Its running generation is cancelled at once, so the
    # model is free for the next request; no further candidate is tried.
    cancel: object = field(default=None, compare=False, repr=False)
    # Asked for automatically while the user types: past this many milliseconds the
    # suggestion is shown with the whole words the model has written by then, and the
    # rest is written in the background into the suggestion cache (where the backend
    # can run background work). None: wait for the whole suggestion (an explicit ask).
    deadline_ms: float | None = None


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
    # One entry per generation: {"text", "rejected": None | "invalid_names" |
    # "repeats_next_line" | "breaks_syntax"}.
    candidates: list = field(default_factory=list)

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
            "candidates": self.candidates,
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


@dataclass
class _Generated:
    raw: str
    stats: GenerationStats
    superseded: bool  # a newer request on the document cancelled it
    block_end: bool  # stopped by us at the end of the block
    deadline: bool = False  # stopped by us at the request's deadline, to be continued


class CompletionEngine:
    """Turns completion requests into suggestions with one backend.

    ``recent`` (a ``coder.context.recent_chunks.RecentChunks``) is where fronts note the
    files the user opens and edits; chunks of them go into prompts as context.
    """

    def __init__(self, backend: Backend, *, index=None, recent=None):
        from coder.context.builder import ContextBuilder
        from coder.context.recent_chunks import RecentChunks

        self.backend = backend
        self.recent = recent if recent is not None else RecentChunks()
        self.builder = ContextBuilder(backend, index=index, recent=self.recent)
        self.index = index
        self.cache = SuggestionCache()
        self.last_raw = ""  # the model's first output before trimming, for benchmarks
        self._end_ids: tuple[int, ...] | None = None  # control tokens, for _end_ban
        # Per document: the background generation finishing a suggestion shown at its
        # deadline, and what turns its output into a cache entry (run on this thread).
        self._continuations: dict[str, tuple[Continuation, object]] = {}
        self._continuations_lock = threading.Lock()

    def complete(self, request: CompletionRequest) -> Suggestion:
        if request.grounding not in GROUNDING_MODES:
            raise UsageError(f"grounding must be one of {', '.join(GROUNDING_MODES)}, not {request.grounding!r}")
        started = time.perf_counter()
        prefix, suffix = split_at(request.text, request.line, request.column)
        mode = self._mode(request, prefix, suffix)
        self._absorb_continuations()
        cached = self.cache.get(request.path, prefix, suffix)
        if cached is not None:
            return Suggestion(
                cached, request.line, request.column, mode, cached=True,
                timings_ms={"total": round((time.perf_counter() - started) * 1000, 2)},
            )
        plan = None
        if request.grounding != "off" and request.context == "repo":
            plan = plan_grounding(self.index, request.path, request.text, request.line, request.column, request.language)
        grammar = plan.grammar if plan is not None and request.grounding == "on" else None
        if self.backend.supports_grammar is False:
            grammar = None  # a server without grammars: the hint and the check remain
        # The hint is for when the first name cannot be constrained: with the grammar
        # on, the model's own pick among the valid names did as well without it
        # (member benchmark: 47 vs 46 exact of 200), and the hint costs prompt tokens.
        # Not so for Qwen 0.5B on rich (44 % exact with both vs 30 % with the grammar
        # alone, 50 sites; GitPython equal), but a line put above the cursor's line
        # makes the KV cache evaluate it and all after it again: 20-45 tokens a key at
        # a member site (test_qwen_completion). Left for a placement that keeps it.
        # At a bare identifier with nothing typed yet the next token may be anything
        # (a literal, a keyword): naming variables there only moves tokens around.
        hint = plan.hint if plan is not None and grammar is None and (
            request.grounding == "hint" or plan.names.kind == "member") else None
        # Only a grammar's set is sure enough to lean on (it exists for high-confidence sets).
        bias = first_token_bias(plan, prefix, suffix, self.builder.cached_tokens) if grammar is not None else ()
        if plan is not None:
            plan.report["constrained"] = grammar is not None
            plan.report["hint"] = hint
            plan.report["biased_tokens"] = len(bias)
        context = self.builder.build(
            request.text, request.language, request.path, request.line, request.column,
            budget_tokens=request.budget_tokens, max_new_tokens=request.max_tokens,
            level=request.context, prefix=prefix, suffix=suffix, hint=hint, tree=request.tree,
            hold_back_blanks=grammar is None,
        )
        # A model that saw the suffix has fitted its output to it already.
        check_fit = not self.builder.format.uses_suffix and request.context != "none" and bool(suffix.strip())
        built = time.perf_counter()
        totals = GenerationStats()
        first_token_s = None
        tried: list[dict] = []
        invalid: set[str] = set()
        text = ""
        accepted = superseded = False
        check_s = 0.0  # post-processing and the checks of each candidate
        ban_end = False
        deadline = started + request.deadline_ms / 1000 if request.deadline_ms else None
        continue_from = None  # (what the model wrote, tokens it may still write) when cut at the deadline
        for attempt in range(max(1, request.candidates)):
            if request.cancel is not None and request.cancel.is_set:
                superseded = True
                totals.finish_reason = "cancelled"
                break
            allowed = CANDIDATE_DEADLINE_MS if request.deadline_ms else ASKED_CANDIDATE_DEADLINE_MS
            late = (time.perf_counter() - started) * 1000 > allowed
            if attempt and late and tried[-1]["rejected"] not in ("invalid_names", "ended_at_once"):
                break  # out of time for this keystroke; an invented name is still worth a retry
            generated = self._generate(context.token_ids, request, mode, prefix, suffix, grammar, attempt,
                                       bias + self._end_ban() if ban_end else bias, greedy=ban_end,
                                       deadline=deadline)
            model_wrote = generated.raw
            if context.held_back:
                generated = replace(generated, raw=_after_held_back(generated.raw, context.held_back))
            stats = generated.stats
            totals.evaluated_tokens += stats.evaluated_tokens
            totals.generated_tokens += stats.generated_tokens
            if attempt == 0:
                self.last_raw = generated.raw
                first_token_s = stats.time_to_first_token_s
                totals.reused_tokens = stats.reused_tokens
            if generated.superseded:
                superseded = True
                totals.finish_reason = "cancelled"
                break
            totals.finish_reason = "block_end" if generated.block_end else stats.finish_reason
            checking = time.perf_counter()
            raw = generated.raw
            if generated.deadline:
                totals.finish_reason = "deadline"
                raw = shown_part(raw) or ""
            candidate = suggestion_from(raw, language=request.language, prefix=prefix, suffix=suffix, mode=mode,
                                        model_ended=self._model_ended(generated, request, mode))
            rejected, names = self._rejection(candidate, request, plan, prefix, suffix, check_fit)
            if rejected is None and not candidate and attempt == 0 and _ended_at_once(generated.raw, stats, prefix):
                # The model ended the hole at once while the line is being written (a
                # bare `return` is valid code, so FIM may call it done): ask once more
                # with ending forbidden on the first token; the prompt is cached.
                rejected, ban_end = "ended_at_once", True
            check_s += time.perf_counter() - checking
            invalid.update(names)
            tried.append({"text": candidate, "rejected": rejected, **({"invalid_names": names} if names else {})})
            if rejected is None:
                text, accepted = candidate, True
                if generated.deadline and candidate:
                    continue_from = (model_wrote, generated.raw, request.max_tokens - stats.generated_tokens)
                break
        if not accepted and not superseded:
            text = self._fallback(tried, request, plan, prefix, suffix)
        if plan is not None:
            plan.report["invalid_names"] = sorted(invalid)
            plan.report["dropped"] = bool(invalid) and not text
        if totals.finish_reason != "cancelled":
            self.cache.put(request.path, prefix, suffix, text)
        if continue_from is not None:
            self._continue(context, request, mode, prefix, suffix, text, plan, check_fit, *continue_from)
        done = time.perf_counter()
        return Suggestion(
            text,
            request.line,
            request.column,
            mode,
            timings_ms={
                "context": round((built - started) * 1000, 2),
                "model": round((done - built - check_s) * 1000, 2),
                "checks": round(check_s * 1000, 2),
                "first_token": round((first_token_s or 0) * 1000, 2),
                "total": round((done - started) * 1000, 2),
            },
            tokens={
                "prompt": len(context.token_ids),
                "evaluated": totals.evaluated_tokens,
                "reused": totals.reused_tokens,
                "generated": totals.generated_tokens,
                "finish_reason": totals.finish_reason,
                "stable": context.stable_tokens,
            },
            sources=context.sources,
            format=context.format_name,
            grounding=plan.report if plan is not None else {},
            candidates=tried,
        )

    def warm(self, request: CompletionRequest):
        """Evaluate the prompt a completion at this position would use, in the
        background, so the first real request in a file reuses it from the KV cache
        instead of paying a cold prompt. Any request from the user preempts it.

        Returns the running Generation (iterate or ignore it), or None where the
        backend cannot run work that yields (a server)."""
        if not self.backend.supports_background:
            return None
        prefix, suffix = split_at(request.text, request.line, request.column)
        context = self.builder.build(
            request.text, request.language, request.path, request.line, request.column,
            budget_tokens=request.budget_tokens, max_new_tokens=request.max_tokens,
            level=request.context, prefix=prefix, suffix=suffix, hint=None,
        )
        return self.backend.stream(GenerationRequest(context.token_ids, max_tokens=0, background=True))

    def _end_ban(self) -> tuple[tuple[int, float], ...]:
        """A first-token bias that forbids ending: every control token (EOS, end of
        turn, FIM and file markers) and the usual line breaks pushed far down."""
        if self._end_ids is None:
            specials = self.backend.info().specials
            ids = set(specials.by_text.values()) | {t for t in (specials.eos,) if t is not None}
            for text in LINE_ENDS:
                tokens = self.backend.tokenize(text)
                if len(tokens) == 1:
                    ids.add(tokens[0])
            self._end_ids = tuple(sorted(ids))
        return tuple((token, END_BAN) for token in self._end_ids)

    def _continue(self, context, request, mode, prefix, suffix, shown, plan, check_fit,
                  model_wrote: str, written: str, tokens_left: int) -> None:
        """Have the model finish a suggestion shown at its deadline, in the background."""
        if not self.backend.supports_background or tokens_left < 1:
            return
        generation = self.backend.stream(
            GenerationRequest(
                list(context.token_ids) + self.backend.tokenize(model_wrote),
                max_tokens=tokens_left,
                stop=("\n",) if mode == "single" else ("\n\n\n",),
                channel=request.path,
                background=True,
            )
        )
        if mode == "multi":
            may_end = self._sees_suffix(request)

            def ended(raw: str) -> bool:
                return block_ended(raw, language=request.language, prefix=prefix, suffix=suffix, model_may_end=may_end)
        else:
            def ended(raw: str) -> bool:
                return "\n" in raw

        def finish(raw: str, model_ended: bool) -> None:
            # On the engine's thread: the checks read the index.
            candidate = suggestion_from(raw, language=request.language, prefix=prefix, suffix=suffix, mode=mode,
                                        model_ended=model_ended and mode == "multi" and self._sees_suffix(request))
            if len(candidate) <= len(shown) or not candidate.startswith(shown):
                return
            if self._rejection(candidate, request, plan, prefix, suffix, check_fit)[0] is None:
                self.cache.put(request.path, prefix, suffix, candidate)

        continuation = Continuation(generation, document=request.path, prefix=prefix, suffix=suffix,
                                    written=written, ended=ended)
        with self._continuations_lock:
            older = self._continuations.pop(request.path, None)
            self._continuations[request.path] = (continuation, finish)
        if older is not None:
            older[0].stop()

    def _absorb_continuations(self) -> None:
        """Put what finished background continuations wrote into the cache."""
        with self._continuations_lock:
            taken = []
            for document, (continuation, finish) in list(self._continuations.items()):
                finished = continuation.take()
                if finished is not None or not continuation.running:
                    del self._continuations[document]
                if finished is not None:
                    taken.append((finished, finish))
        for finished, finish in taken:
            finish(finished.raw, finished.model_ended)

    def wait_for_continuations(self, timeout: float | None = None) -> None:
        """Until the background continuations now running are over, then absorbs
        them (for tests and benchmarks; fronts never wait)."""
        with self._continuations_lock:
            running = [continuation for continuation, _ in self._continuations.values()]
        for continuation in running:
            continuation.wait(timeout)
        self._absorb_continuations()

    def _generate(self, prompt_ids, request, mode, prefix, suffix, grammar, attempt, bias=(), *,
                  greedy: bool = False, deadline: float | None = None) -> _Generated:
        sampled = attempt > 0 and not greedy
        generation = self.backend.stream(
            GenerationRequest(
                prompt_ids,
                max_tokens=request.max_tokens,
                stop=("\n",) if mode == "single" else ("\n\n\n",),
                temperature=CANDIDATE_TEMPERATURE if sampled else 0.0,
                top_p=CANDIDATE_TOP_P if sampled else 1.0,
                seed=attempt if sampled else None,
                channel=request.path,
                grammar=grammar,
                first_token_bias=bias,
            )
        )
        raw = ""
        block_end = cut_at_deadline = False
        may_end = self._sees_suffix(request)
        if request.cancel is not None:
            request.cancel.watch(generation)  # cancels at once when it is set already
        try:
            pieces = iter(generation)
            for piece in pieces:
                raw += piece
                if mode == "multi" and block_ended(raw, language=request.language, prefix=prefix, suffix=suffix,
                                                   model_may_end=may_end):
                    block_end = True
                    generation.cancel()  # the rest would be cut away: do not wait for it
                    if may_end and request.language in INDENT_LANGUAGES:
                        raw = raw[: raw.rfind("\n") + 1]  # whole lines: the copied ones are cut as such
                    break
                if deadline is not None and time.perf_counter() >= deadline and shown_part(raw) is not None:
                    cut_at_deadline = True
                    generation.cancel()
                    break
            for _ in pieces:
                pass  # after a cancel nothing more arrives; the stats come with the end
        finally:
            if request.cancel is not None:
                request.cancel.unwatch(generation)
        superseded = generation.stats.finish_reason == "cancelled" and not (block_end or cut_at_deadline)
        return _Generated(raw, generation.stats, superseded, block_end, cut_at_deadline)

    def _model_ended(self, generated: _Generated, request: CompletionRequest, mode: str) -> bool:
        """A multi-line hole the model (one that sees the suffix) ended by itself: its
        end-of-middle, or running on into the code below, where we stopped it. Not the
        token limit, not a deadline."""
        if mode != "multi" or not self._sees_suffix(request) or generated.deadline:
            return False
        return generated.block_end or generated.stats.finish_reason == "stop"

    def _rejection(self, candidate, request, plan, prefix, suffix, check_fit) -> tuple[str | None, list[str]]:
        """Why a candidate must not be shown (None when it may), and the names it
        invents."""
        if not candidate:
            return None, []
        if plan is not None and request.grounding == "on" and not check_grounded(
            plan, candidate, self.index, request.path, request.text, request.line, request.column, request.language
        ):
            return "invalid_names", list(plan.report["invalid_names"])
        if repeats_next_line(candidate, prefix, suffix):
            return "repeats_next_line", []
        if check_fit and not keeps_syntax(candidate, language=request.language, prefix=prefix, suffix=suffix):
            return "breaks_syntax", []
        return None, []

    def _fallback(self, tried, request, plan, prefix, suffix) -> str:
        """What to show when no candidate passed. A first suggestion that only upsets
        the syntax around the cursor may still be what the user is writing (the file
        can be mid-edit); one that invents a name is shown up to that name, when what
        comes before it passes; a copy of the next line never is."""
        if not tried:
            return ""
        first = tried[0]
        if first["rejected"] == "breaks_syntax":
            return first["text"]
        if first["rejected"] == "invalid_names":
            cut = _cut_before(first["text"], first["invalid_names"])
            if cut.strip() and self._rejection(cut, request, plan, prefix, suffix, check_fit=False)[0] is None:
                return cut
        return ""

    def _mode(self, request: CompletionRequest, prefix: str, suffix: str) -> str:
        if request.multiline in ("always", "never"):
            return "multi" if request.multiline == "always" else "single"
        return decide_mode(request.language, prefix, suffix, sees_suffix=self._sees_suffix(request))

    def _sees_suffix(self, request: CompletionRequest) -> bool:
        """Whether the prompt carries the code after the cursor."""
        return self.builder.format.uses_suffix and request.context != "none"


def suggestion_from(raw: str, *, language: str, prefix: str, suffix: str, mode: str, model_ended: bool) -> str:
    """Post-processing with the model's own end of the hole trusted where it ended one,
    unless what it wrote then breaks the code around it: after a one-line hole a model
    may write its own version of the rest of the block (Qwen 1.5B, HumanEval/9: an
    `elif` and the function's last lines again; /110: a dangling `else:`), and there
    the block rules know better."""
    ruled = postprocess(raw, language=language, prefix=prefix, suffix=suffix, mode=mode)
    if not model_ended:
        return ruled
    trusted = postprocess(raw, language=language, prefix=prefix, suffix=suffix, mode=mode, model_ended=True)
    if trusted == ruled or keeps_syntax(trusted, language=language, prefix=prefix, suffix=suffix):
        return trusted
    return ruled


def _after_held_back(raw: str, held_back: str) -> str:
    """The output without the blanks the user had typed (ContextPrompt.held_back); an
    output that does not start with them continues after them anyway."""
    if raw.startswith(held_back):
        return raw[len(held_back) :]
    return raw.lstrip(" \t")


def _ended_at_once(raw: str, stats: GenerationStats, prefix: str) -> bool:
    """The model ended (or broke the line) before writing anything while the
    cursor's line has code."""
    line = prefix.rsplit("\n", 1)[-1]
    return stats.finish_reason == "stop" and stats.generated_tokens <= 1 and not raw.strip() and bool(line.strip())


def _cut_before(text: str, names: list[str]) -> str:
    """text up to the first whole-word use of any of names, trailing blanks dropped."""
    positions = [m.start() for name in names for m in re.finditer(rf"(?<![\w$]){re.escape(name)}(?![\w$])", text)]
    return text[: min(positions)].rstrip() if positions else text
