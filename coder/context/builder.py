"""Build a completion prompt for a cursor within a token budget.

Budget: prompt + generated tokens never exceed ``budget_tokens`` nor the model's
context. The local window gets what it needs first (the prefix most of it, whole
lines), then ranked cross-file snippets fill what is left, greedily by rank.

Stability, for the KV cache: the chosen snippets and the first line of the prefix
window are kept while the user types in the same place, so two keystrokes share a
byte-identical token prefix; ``ContextPrompt.stable_tokens`` says how long it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from coder.context.cross_file import cross_file_snippets
from coder.context.formats import PromptFormat, Snippet, select_format
from coder.errors import UsageError

FORMAT_RESERVE = 16  # control tokens and path lines around the local window
CROSS_FILE_SHARE = 0.4  # of the prompt budget, at most, for other files
SUFFIX_SHARE = 0.25  # of the local budget, for FIM formats
CHARS_PER_TOKEN_GUESS = 3


@dataclass
class ContextPrompt:
    token_ids: list[int]
    stable_tokens: int
    sources: list[dict] = field(default_factory=list)
    prefix_text: str = ""  # the part of the prefix in the prompt
    suffix_text: str = ""
    format_name: str = ""


@dataclass
class _Anchor:
    """What was chosen for the last request in a document, reused while it fits."""

    line: int
    prefix_start: int
    snippets: list


class ContextBuilder:
    def __init__(self, backend, *, index=None, repo_name: str | None = None):
        self.backend = backend
        self.info = backend.info()
        self.format: PromptFormat = select_format(self.info)
        self.index = index
        self.repo_name = repo_name or (index.root.name if index is not None else "repo")
        self._token_cache: dict[str, list[int]] = {}
        self._anchors: dict[str, _Anchor] = {}

    def _tokenize(self, text: str) -> list[int]:
        return self.backend.tokenize(text, special=False) if text else []

    def _cached_tokens(self, text: str) -> list[int]:
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
    ) -> ContextPrompt:
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
        cross_room = int(room * CROSS_FILE_SHARE) if level == "repo" and self.index is not None else 0
        local_room = room - cross_room
        suffix_room = int(local_room * SUFFIX_SHARE) if use_suffix else 0
        prefix_ids, prefix_text, start = self._prefix_window(prefix, local_room - suffix_room, anchor)
        suffix_ids, suffix_text = self._suffix_window(suffix, suffix_room) if use_suffix else ([], "")
        local_used = len(prefix_ids) + len(suffix_ids)
        snippets, snippet_ids, sources = [], [], []
        if cross_room:
            cross_room = room - local_used  # what the local window left over
            ranked = anchor.snippets if anchor is not None and anchor.line == line else None
            if ranked is None:
                ranked = cross_file_snippets(self.index, self._relative(path), text, line, prefix_text + suffix_text)
            used = 0
            for item in ranked:
                ids = self._cached_tokens(self.format.snippet_text(item.snippet, language))
                if used + len(ids) > cross_room:
                    continue
                used += len(ids)
                snippets.append(item.snippet)
                snippet_ids.append(ids)
                sources.append({"kind": "definition", "path": item.snippet.path, "name": item.name, "tokens": len(ids)})
            self._anchors[path] = _Anchor(line, start, ranked)
        else:
            self._anchors[path] = _Anchor(line, start, [])
        rendered = self.format.render(
            self._cached_tokens_or_local(prefix_text, prefix_ids, suffix_text, suffix_ids),
            bos=bos,
            repo=self.repo_name,
            language=language,
            snippets=snippets,
            snippet_ids=snippet_ids,
            path=self._relative(path),
            prefix=prefix_text,
            suffix=suffix_text,
        )
        sources.append({"kind": "local_prefix", "path": path, "tokens": len(prefix_ids)})
        if use_suffix:
            sources.append({"kind": "local_suffix", "path": path, "tokens": len(suffix_ids)})
        return ContextPrompt(rendered.ids, rendered.stable_tokens, sources, prefix_text, suffix_text, self.format.name)

    def _cached_tokens_or_local(self, prefix_text, prefix_ids, suffix_text, suffix_ids):
        """A tokenizer for the format that reuses the window ids already computed."""
        known = {prefix_text: prefix_ids, suffix_text: suffix_ids}

        def tokenize(text: str) -> list[int]:
            if text in known:
                return known[text]
            return self._cached_tokens(text)

        return tokenize

    def _relative(self, path: str) -> str:
        if self.index is None:
            return Path(path).name
        try:
            return Path(path).resolve().relative_to(self.index.root).as_posix()
        except ValueError:
            return Path(path).name

    def _prefix_window(self, prefix: str, room: int, anchor: _Anchor | None) -> tuple[list[int], str, int]:
        """The end of the prefix that fits in room tokens, starting on a whole line.

        The window keeps the start it had for the previous keystroke while that still
        fits, so the prompt's beginning, and the KV cache, stay the same."""
        if anchor is not None and 0 <= anchor.prefix_start <= len(prefix) and (
            anchor.prefix_start == 0 or prefix[anchor.prefix_start - 1] == "\n"
        ):
            text = prefix[anchor.prefix_start :]
            ids = self._tokenize(text)
            if len(ids) <= room:
                return ids, text, anchor.prefix_start
        # Start where about 80% of the room is used, leaving the rest to grow into.
        target = int(room * 0.8)
        start = max(0, len(prefix) - target * CHARS_PER_TOKEN_GUESS * 2)
        while True:
            if start > 0:
                newline = prefix.find("\n", start - 1)
                start = newline + 1 if 0 <= newline < len(prefix) else start
            text = prefix[start:]
            ids = self._tokenize(text)
            if len(ids) <= target or start >= len(prefix):
                break
            # Too long: drop the first lines in proportion to the overflow.
            overflow = len(ids) - target
            start += max(1, int(len(text) * overflow / len(ids)))
        if len(ids) > room:  # a single line longer than the room: keep its end
            ids = ids[-room:]
            text = self.backend.detokenize(ids)
        return ids, text, start

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
