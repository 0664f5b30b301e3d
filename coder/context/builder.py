"""Build a completion prompt for a cursor within a token budget.

Budget: prompt + generated tokens never exceed ``budget_tokens`` nor the model's
context. Ranked cross-file snippets take up to ``CROSS_FILE_SHARE`` of it, greedily by
rank; the local window (the prefix most of it, whole lines) gets all the rest.

The prefix window keeps the end of the prefix. When the prefix does not fit, it
also keeps the headers of the definitions enclosing the cursor (a method's class
and its own signature, from tree-sitter), with an elision comment where lines are
left out (``scope_window``). A one-line hint from the engine goes right above the
cursor's line, indented like it.

Cross-file snippets, at level "repo" only: definitions from the repository index
of the names used near the cursor, then chunks of recently opened or edited files
(``RecentChunks``, which also work without an index).

Stability, for the KV cache: the chosen snippets, the first line of the prefix
window and the headers it keeps are reused while the user types in the same place
(the same line, or on into the same FIM hole across lines), so two keystrokes share a
byte-identical token prefix; ``ContextPrompt.stable_tokens`` says how long it is. The hint and the lines near the cursor come last, in the part
that changes per keystroke.

The hole, for FIM formats, starts at a line start at or before the cursor, and what
is typed from there to the cursor goes after the middle marker (``formats``): in
prefix-suffix-middle order the suffix follows the prefix, so with the typed text at
the end of the prefix each keystroke would evaluate the whole suffix again (about
200 tokens, 5 s on a laptop CPU). The hole stays where it was while the user types
on, across line breaks, as long as the code before it and the suffix are unchanged
and the typed part is at most ``MIDDLE_LINES`` lines; then it moves to the cursor's
line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coder.context.cross_file import IDENTIFIER, RankedSnippet, cross_file_snippets
from coder.context.formats import PromptFormat, Snippet, line_comment, select_format
from coder.context.scope_window import Header, elided_head, enclosing_headers, has_scopes
from coder.errors import UsageError

if TYPE_CHECKING:
    import tree_sitter

FORMAT_RESERVE = 16  # control tokens and path lines around the local window
SNIPPET_OVERHEAD = 1  # a separator id per snippet (qwen-repo's <|file_sep|>)
CROSS_FILE_SHARE = 0.4  # of the prompt budget, at most, for other files
SUFFIX_SHARE = 0.25  # of the local budget, for FIM formats
HEAD_SHARE = 0.25  # of the prefix budget, at most, for the enclosing headers
HINT_SHARE = 0.25  # of the prefix budget, at most, for the hint line (else it is left out)
WINDOW_FILL = 0.8  # a fresh prefix window uses this much of its room: the rest is to type into
CHARS_PER_TOKEN_GUESS = 3
MIDDLE_LINES = 8  # most lines typed into a hole before it moves to the cursor's line
MIDDLE_SHARE = 0.25  # of the local budget, at most, for the typed part of the hole


@dataclass
class ContextPrompt:
    token_ids: list[int]
    stable_tokens: int
    sources: list[dict] = field(default_factory=list)
    prefix_text: str = ""  # the file's own text before the cursor that the prompt carries verbatim
    suffix_text: str = ""
    format_name: str = ""
    window_text: str = ""  # the prefix as the model sees it: headers, elision markers, hint
    held_back: str = ""  # typed blanks at the cursor left out of the prompt: the output starts with them


@dataclass(frozen=True)
class _Pick:
    """A cross-file snippet chosen for the prompt, with its ids as rendered."""

    kind: str  # "definition" | "recent"
    snippet: Snippet
    ids: list
    name: str | None = None  # the definition's name
    chunk: object = None  # the RecentChunks chunk it came from


@dataclass
class _Window:
    ids: list[int]
    text: str  # as the prompt carries it
    verbatim: str  # prefix[start:], the file's own text
    start: int  # offset in the prefix where the verbatim part starts
    headers: tuple = ()  # the kept headers (scope_window.Header), outermost first
    head: str = ""  # those headers with their elision markers, as the text starts
    scope_key: tuple | None = None
    hint_tokens: int = 0


@dataclass
class _Anchor:
    """What was chosen for the last request in a document, reused while it fits."""

    line: int
    prefix_start: int
    snippets: list  # the definitions, ranked
    headers: tuple = ()
    head: str = ""
    scope_key: tuple | None = None  # the innermost enclosing header above the window
    picks: list | None = None  # the cross-file snippets used; None when there were none to choose
    hole: _Hole | None = None


@dataclass(frozen=True)
class _Hole:
    """Where the FIM hole started and what the model saw around it."""

    start: int  # offset of a line start in the prefix
    before: str  # the verbatim window up to start, as it was
    suffix: str  # the suffix as the model saw it


class ContextBuilder:
    def __init__(self, backend, *, index=None, recent=None, repo_name: str | None = None):
        """``index``: a RepoIndex for definitions; ``recent``: a RecentChunks the
        fronts feed with opens and edits. Either may be None."""
        self.backend = backend
        self.info = backend.info()
        self.format: PromptFormat = select_format(self.info)
        self.index = index
        self.recent = recent
        self.repo_name = repo_name or (index.root.name if index is not None else "repo")
        self._token_cache: dict[str, list[int]] = {}
        self._anchors: dict[str, _Anchor] = {}

    def _tokenize(self, text: str) -> list[int]:
        return self.backend.tokenize(text, special=False) if text else []

    def cached_tokens(self, text: str) -> list[int]:
        """Token ids of text (special tokens off), remembered: snippets and names come
        back on every keystroke."""
        ids = self._token_cache.get(text)
        if ids is None:
            if len(self._token_cache) > 512:
                self._token_cache.clear()
            ids = self._token_cache[text] = self._tokenize(text)
        return ids

    def build(
        self,
        text: str,
        language: str,
        path: str,
        line: int,
        column: int,
        *,
        budget_tokens: int = 1024,
        max_new_tokens: int = 64,
        level: str = "repo",
        prefix: str | None = None,
        suffix: str | None = None,
        hint: str | None = None,
        tree: tree_sitter.Tree | None = None,
        hold_back_blanks: bool = True,
    ) -> ContextPrompt:
        """The prompt for a cursor at a 0-based (line, column) of text.

        ``level``: "none" (the prefix window only, no headers), "local" (the
        current file), "repo" (also definitions from the index and recent chunks).
        ``hint``: one comment line, already formatted, shown right above the
        cursor's line. ``tree``: a tree-sitter tree of text when the caller keeps
        one; otherwise the text is parsed when the enclosing headers are needed.
        ``hold_back_blanks``: leave the blanks at the end of the cursor's line out of
        a FIM prompt (``ContextPrompt.held_back``): `return ` ending in a lone space
        token made the 0.5B write the space again (`return  a + b`); without it the
        model writes ` a + b` as it saw such code in training. Off where a grammar
        constrains the first token to a name."""
        room = min(budget_tokens, self.info.context_length) - max_new_tokens
        bos = [self.info.specials.bos] if self.info.add_bos and self.info.specials.bos is not None else []
        room -= len(bos) + FORMAT_RESERVE
        if room < 32:
            raise UsageError(
                f"a budget of {budget_tokens} tokens leaves no room for a prompt after "
                f"{max_new_tokens} generated tokens; raise the budget or lower max_tokens"
            )
        if prefix is None or suffix is None:
            from coder.completion.engine import split_at

            prefix, suffix = split_at(text, line, column)
        use_suffix = self.format.uses_suffix and level != "none"
        anchor = self._anchors.get(path)
        suffix_view = _suffix_view(prefix, suffix) if use_suffix else ""
        hole = self._hole(anchor, prefix, suffix_view, room) if self.format.uses_suffix and not hint else len(prefix)
        middle = prefix[hole:]
        held_back = _typed_blanks(middle) if self.format.uses_suffix and hold_back_blanks else ""
        middle_ids = self._tokenize(middle[: len(middle) - len(held_back)])
        # Only reserve room for recent chunks when some come from another file: the
        # current document's own chunks are never shown.
        use_recent = level == "repo" and self.recent is not None and self.recent.has_other_than(path)
        cross_room = 0
        if level == "repo" and (self.index is not None or use_recent):
            cross_room = max(int(room * CROSS_FILE_SHARE), room - self._local_need(prefix, suffix, room, use_suffix, anchor))
        # Other files first, within their share (more when this file is short); the
        # local window gets all the rest, so a cursor with nothing to bring from
        # elsewhere keeps the whole budget for its own file.
        picks, ranked = None, []
        if cross_room:
            near = int((room - cross_room) * CHARS_PER_TOKEN_GUESS)  # about what the window will show
            visible = prefix[-near:] + suffix[: near // 4]
            # Typing on into the same hole (a new line included) keeps the snippets:
            # they come first in the prompt, so choosing again would evaluate it all.
            typing_on = anchor is not None and anchor.hole is not None and anchor.hole.start == hole
            picks, ranked = self._cross_file(anchor, path, text, line, language, visible, cross_room, use_recent,
                                             typing_on)
        local_room = room - sum(len(p.ids) + SNIPPET_OVERHEAD for p in picks or ())
        suffix_room = int(local_room * SUFFIX_SHARE) if use_suffix else 0
        scope = self._scope_finder(language, text, prefix, suffix, tree) if level != "none" else None
        before = prefix[:hole]
        window = self._prefix_window(
            before, local_room - suffix_room - len(middle_ids), anchor, line, scope, _hint_line(hint, prefix, suffix),
            line_comment(language),
        )
        suffix_ids, suffix_text = self._suffix_window(suffix_view, suffix_room) if use_suffix else ([], "")
        held = _Hole(hole, window.verbatim, suffix_view) if self.format.uses_suffix else None
        self._anchors[path] = _Anchor(line, window.start, ranked, window.headers, window.head, window.scope_key, picks, held)
        picks = picks or []
        known = {window.text: window.ids, suffix_text: suffix_ids}
        rendered = self.format.render(
            lambda piece: known[piece] if piece in known else self.cached_tokens(piece),
            bos=bos,
            repo=self.repo_name,
            language=language,
            snippets=[p.snippet for p in picks],
            snippet_ids=[p.ids for p in picks],
            path=self._relative(path),
            prefix=window.text,
            suffix=suffix_text,
            middle_ids=middle_ids,
        )
        sources = _sources(picks, window, path, suffix_ids if use_suffix else None, len(middle_ids))
        return ContextPrompt(
            rendered.ids, rendered.stable_tokens, sources, window.verbatim + middle, suffix_text, self.format.name,
            window.text + middle, held_back,
        )

    def _hole(self, anchor: _Anchor | None, prefix: str, suffix_view: str, room: int) -> int:
        """Where the hole starts: where it started for the last request while that
        still holds (module docstring), else at the cursor's line."""
        line_start = prefix.rfind("\n") + 1
        held = anchor.hole if anchor is not None else None
        if held is None or not held.start <= line_start or held.suffix != suffix_view:
            return line_start
        if held.start and prefix[held.start - 1] != "\n":
            return line_start
        if prefix[held.start - len(held.before) : held.start] != held.before or held.start < len(held.before):
            return line_start  # the code before the hole changed: its window is evaluated again anyway
        typed = prefix[held.start :]
        if typed.count("\n") >= MIDDLE_LINES or len(typed) > room * MIDDLE_SHARE * CHARS_PER_TOKEN_GUESS:
            return line_start
        return held.start

    def _local_need(self, prefix: str, suffix: str, room: int, use_suffix: bool, anchor) -> int:
        """Tokens the whole local text takes, when it is short enough to fit; else room
        (a long file fills any window, so it is not worth tokenizing to find out: its
        last window did not start at the top, or it has many characters)."""
        local = prefix + (suffix if use_suffix else "")
        if len(local) > room * CHARS_PER_TOKEN_GUESS or (anchor is not None and anchor.prefix_start > 0):
            return room
        return len(self._tokenize(local)) + 1

    def _relative(self, path: str) -> str:
        if self.index is None:
            return Path(path).name
        try:
            return Path(path).resolve().relative_to(self.index.root).as_posix()
        except ValueError:
            return Path(path).name

    # -- other files ----------------------------------------------------------

    def _cross_file(self, anchor, path, text, line, language, visible, room, use_recent, typing_on=False):
        """The cross-file snippets for room tokens, and the ranked definitions.

        Definitions come first: they are what the code at the cursor names,
        resolved through the index, so they are the surest help per token. Recent
        chunks fill what is left, best ranked first; a chunk that repeats a chosen
        definition (or the local window) is left out by RecentChunks."""
        same_place = anchor is not None and (anchor.line == line or typing_on)
        if same_place and anchor.picks is not None and self._picks_hold(anchor.picks, room):
            return anchor.picks, anchor.snippets  # the same bytes as the last keystroke
        ranked = anchor.snippets if same_place and anchor.picks is not None else None
        previous = anchor.picks if anchor is not None and anchor.picks else []
        if ranked is None:
            ranked = cross_file_snippets(self.index, self._relative(path), text, line, visible) if self.index is not None else []
            ranked = _still_used(previous, ranked, visible) + ranked
            ranked = _shown_first(ranked, previous, "definition", lambda item: item.snippet)
        picks: list[_Pick] = []
        used = 0
        for item in ranked:
            ids = self.cached_tokens(self.format.snippet_text(item.snippet, language))
            if used + len(ids) + SNIPPET_OVERHEAD > room:
                continue
            used += len(ids) + SNIPPET_OVERHEAD
            picks.append(_Pick("definition", item.snippet, ids, name=item.name))
        if use_recent:
            shown = "\n".join([visible] + [p.snippet.text for p in picks])
            chunks = self.recent.snippets_for(path, text, line, shown)
            chunks = _shown_first(chunks, previous, "recent", lambda c: Snippet(self._relative(c.path), c.text))
            for chunk in chunks:
                snippet = Snippet(self._relative(chunk.path), chunk.text)
                ids = self.cached_tokens(self.format.snippet_text(snippet, language))
                if used + len(ids) + SNIPPET_OVERHEAD > room:
                    continue
                used += len(ids) + SNIPPET_OVERHEAD
                picks.append(_Pick("recent", snippet, ids, chunk=chunk))
        return picks, ranked

    def _picks_hold(self, picks: list[_Pick], room: int) -> bool:
        """Whether last keystroke's snippets still fit and are still current."""
        if sum(len(p.ids) + SNIPPET_OVERHEAD for p in picks) > room:
            return False
        return all(p.chunk is None or (self.recent is not None and self.recent.is_current(p.chunk)) for p in picks)

    # -- the local window -----------------------------------------------------

    @staticmethod
    def _scope_finder(language, text, prefix, suffix, tree):
        """A function giving the enclosing headers; it parses on its first call only."""
        if not has_scopes(language):
            return None
        found: list = []

        def headers() -> list[Header]:
            if not found:
                cursor_line = prefix[prefix.rfind("\n") + 1 :] + suffix.partition("\n")[0]
                found.append(enclosing_headers(language, text, prefix, cursor_line, tree))
            return found[0]

        return headers

    def _prefix_window(self, prefix, room, anchor, line, scope, hint_line, comment) -> _Window:
        """The end of the prefix that fits in room tokens, starting on a whole line,
        after the headers of the definitions that enclose the cursor when those
        headers are above it, and with the hint line above the cursor's line.

        The window keeps the start and headers it had for the previous keystroke
        while that still fits (and, after the cursor moved to another line, while
        the innermost enclosing definition is the same one), so the prompt's
        beginning, and the KV cache, stay the same."""
        hint_cost = len(self.cached_tokens(hint_line)) if hint_line else 0
        if hint_cost > room * HINT_SHARE:
            hint_line, hint_cost = "", 0  # the code before the cursor matters more
        if anchor is not None and self._anchor_holds(anchor, prefix, line, scope):
            # The head as it was, byte for byte (its markers' indents come from lines
            # that may have changed since).
            window = self._compose(prefix, list(anchor.headers), anchor.prefix_start, hint_line, comment, head=anchor.head)
            if len(window.ids) <= room:
                window.scope_key = anchor.scope_key
                return window
        target = int(room * WINDOW_FILL) - hint_cost
        start, tail_ids = self._tail_start(prefix, target, 0)
        cursor_line_start = prefix.rfind("\n") + 1
        headers: list[Header] = []
        key = None
        if start > 0 and scope is not None:
            enclosing = scope()
            key = _scope_key(enclosing, start)
            fitted, head_cost = self._fit_headers(prefix, [h for h in enclosing if h.start < start], start, room, comment)
            if fitted:
                scoped_start, scoped_ids = self._tail_start(prefix, target - head_cost, max(start, fitted[-1].end))
                # Headers above a cut cursor line would mislead: the model must see
                # the whole line it completes.
                if scoped_start <= cursor_line_start:
                    start, tail_ids, headers = scoped_start, scoped_ids, fitted
        window = self._compose(prefix, headers, start, hint_line, comment, tail_ids)
        # Tokens can merge across the joins, so the whole may cost a token or two
        # more than its parts: give up a line of the tail, then a header, until it fits.
        while len(window.ids) > room:
            next_line = prefix.find("\n", start) + 1
            if 0 < next_line <= cursor_line_start:
                start = next_line
            elif headers:
                headers = headers[1:]
            else:
                break
            window = self._compose(prefix, headers, start, hint_line, comment)
        if len(window.ids) > room:  # a single line longer than the room: keep its end
            ids = self._tokenize(prefix[start:])[-room:]
            text = self.backend.detokenize(ids)
            return _Window(ids, text, text, start, (), "", key)
        window.scope_key = key
        return window

    def _anchor_holds(self, anchor: _Anchor, prefix: str, line: int, scope) -> bool:
        start = anchor.prefix_start
        if not (0 <= start <= len(prefix) and (start == 0 or prefix[start - 1] == "\n")):
            return False
        if anchor.headers and scope is None:
            return False  # level "none" now, or a language without scopes: no headers
        if any(prefix[h.start : h.end] != h.text or h.end > start for h in anchor.headers):
            return False  # the lines above changed under the window
        if anchor.line != line and start > 0 and scope is not None:
            return _scope_key(scope(), start) == anchor.scope_key
        return True

    def _fit_headers(self, prefix, headers, start, room, comment) -> tuple[list[Header], int]:
        """The headers whose lines fit their share of room, innermost kept longest."""
        while headers:
            cost = len(self.cached_tokens(elided_head(prefix, headers, start, comment)))
            if cost <= room * HEAD_SHARE:
                return headers, cost
            headers = headers[1:]
        return [], 0

    def _compose(self, prefix, headers, start, hint_line, comment, tail_ids=None, head=None) -> _Window:
        """The window text from its parts, tokenized as one piece (as the format will)."""
        if head is None:
            head = elided_head(prefix, headers, start, comment) if headers else ""
        verbatim = prefix[start:]
        cursor_line_start = prefix.rfind("\n") + 1
        if not hint_line or cursor_line_start < start:
            hint_line = ""  # no hint above a cut line
        body = prefix[start:cursor_line_start] + hint_line + prefix[cursor_line_start:] if hint_line else verbatim
        text = head + body
        ids = tail_ids if tail_ids is not None and text == verbatim else self._tokenize(text)
        hint_tokens = len(self.cached_tokens(hint_line)) if hint_line else 0
        return _Window(ids, text, verbatim, start, tuple(headers), head, None, hint_tokens)

    def _tail_start(self, prefix: str, target: int, minimum: int) -> tuple[int, list[int]]:
        """Where the end of the prefix that fits target tokens starts (a line start,
        not before minimum), and its ids."""
        start = max(minimum, len(prefix) - max(target, 0) * CHARS_PER_TOKEN_GUESS * 2)
        while True:
            if start > 0:
                newline = prefix.find("\n", start - 1)
                start = newline + 1 if 0 <= newline < len(prefix) else start
            start = min(start, len(prefix))
            text = prefix[start:]
            ids = self._tokenize(text)
            if len(ids) <= target or start == len(prefix):
                return start, ids
            # Too long: drop the first lines in proportion to the overflow.
            overflow = len(ids) - max(target, 0)
            start += max(1, int(len(text) * overflow / len(ids)))

    def _suffix_window(self, suffix: str, room: int) -> tuple[list[int], str]:
        if room <= 0 or not suffix:
            return [], ""
        end = min(len(suffix), room * CHARS_PER_TOKEN_GUESS * 2)
        text = suffix[:end]
        ids = self._tokenize(text)
        while len(ids) > room and text:
            cut = text.rfind("\n", 0, max(0, int(len(text) * room / len(ids))))
            text = text[:cut] if cut > 0 else text[: int(len(text) * room / len(ids))]
            ids = self._tokenize(text)
        return ids, text


def _still_used(previous: list[_Pick], ranked: list, visible: str) -> list:
    """The definitions the last prompt showed that the fresh ranking left out while
    their name is still used in the code the window shows.

    The ranking reads the names of a few lines around the cursor; typing on moves
    them, and a definition whose name scrolled out of those lines was dropped at
    once, although the window still shows its use. The snippets open the prompt, so
    that drop had the whole prompt evaluated again (typing replay on the 0.5B: 704
    and 798 tokens at two new lines, 4-5 s each); kept, the prompt's head stays."""
    fresh = {(item.snippet.path, item.name) for item in ranked}
    names = None
    kept = []
    for pick in previous:
        if pick.kind != "definition" or (pick.snippet.path, pick.name) in fresh:
            continue
        if names is None:
            names = set(IDENTIFIER.findall(visible))
        if pick.name in names:
            kept.append(RankedSnippet(pick.snippet, pick.name, "kept"))
    return kept


def _shown_first(items: list, previous: list[_Pick], kind: str, snippet_of) -> list:
    """items with those the last prompt of this document showed first, in the order
    it showed them, then the rest as ranked.

    The snippets open a repository-level prompt, so the KV cache keeps only what
    precedes the first snippet that changed: when the cursor moves on and the names
    near it rank the snippets anew, the old order would otherwise put a new one
    first and have the whole prompt evaluated again (700-800 tokens, 4 s on the
    0.5B here, the slowest model calls of the typing replay)."""
    order = {(p.snippet.path, p.snippet.text): i for i, p in enumerate(q for q in previous if q.kind == kind)}
    if not order:
        return items

    def key(item) -> tuple[str, str]:
        snippet = snippet_of(item)
        return snippet.path, snippet.text

    kept = sorted((item for item in items if key(item) in order), key=lambda item: order[key(item)])
    return kept + [item for item in items if key(item) not in order]


def _sources(picks: list[_Pick], window: _Window, path: str, suffix_ids: list[int] | None, middle_tokens: int = 0) -> list[dict]:
    """What went into the prompt, in prompt order, with token counts (for --json)."""
    sources = []
    for pick in picks:
        if pick.kind == "definition":
            sources.append({"kind": "definition", "path": pick.snippet.path, "name": pick.name, "tokens": len(pick.ids)})
        else:
            sources.append({"kind": "recent", "path": pick.snippet.path, "tokens": len(pick.ids)})
    sources.append({"kind": "local_prefix", "path": path, "tokens": len(window.ids) - window.hint_tokens + middle_tokens})
    if window.hint_tokens:
        sources.append({"kind": "hint", "tokens": window.hint_tokens})
    if suffix_ids is not None:
        sources.append({"kind": "local_suffix", "path": path, "tokens": len(suffix_ids)})
    return sources


def _suffix_view(prefix: str, suffix: str) -> str:
    """The suffix as the model sees it. When nothing follows the cursor on its line,
    the hole runs to the line's end, so the suffix starts at the next line, as FIM
    training splits code on line boundaries: the model writes the rest of the line
    and its newline. (With the line's newline left in the suffix, the 0.5B wrote
    `return False` for HumanEval/95's `if key.isupper():`, which it gets right on the
    line split.) It also keeps the suffix the same from an empty line through typing
    it, so the hole can stay put (module docstring). HumanEval single-line, the
    line's first word typed, 0.5B, 104 tasks: this view with the typed text after the
    middle marker 61.5%/76.9% exact/pass@1, against 47.1%/61.5% for the typed text at
    the end of the prefix and the newline in the suffix (bench/bench_fim_layout.py)."""
    rest, newline, below = suffix.partition("\n")
    if newline and not rest.strip():
        return below
    return suffix


def _typed_blanks(middle: str) -> str:
    """The spaces and tabs at the end of the cursor's line, indentation included: a
    run of blanks is usually one token with what follows, so ending the prompt on it
    splits a token where training text never does (on a line of only indentation the
    0.5B then wrote ` "Alaska"` with one space too many)."""
    line = middle[middle.rfind("\n") + 1 :]
    return line[len(line.rstrip(" \t")) :]


def _scope_key(headers: list[Header], start: int) -> tuple | None:
    """The innermost enclosing header above a window starting at start."""
    above = [h for h in headers if h.start < start]
    return (above[-1].start, above[-1].text) if above else None


def _hint_line(hint: str | None, prefix: str, suffix: str) -> str:
    """The hint as a line of its own, indented like the cursor's line; "" for none."""
    if not hint or not hint.strip():
        return ""
    one_line = " ".join(part.strip() for part in hint.splitlines() if part.strip())
    head = prefix[prefix.rfind("\n") + 1 :]
    current = head + suffix.partition("\n")[0]
    indent = current[: len(current) - len(current.lstrip())] if current.strip() else head
    return f"{indent}{one_line}\n"
