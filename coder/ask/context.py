"""The context of one question: the repository map, the definitions it touches and
the code it is about, fitted to token budgets, with the sources listed.

Laid out stable part first (the map changes least), the code asked about last, next
to the question. Each part has its own budget so a long file cannot crowd out the
definitions, nor a busy map the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Collection

from coder.ask.definitions import code_names, question_names, relevant_definitions, render_definition
from coder.ask.target import AskTarget, check_lines
from coder.context.repo_map import build_repo_map, estimate_tokens
from coder.prompt_templates import render
from coder.syntax.languages import detect_language


@dataclass(frozen=True)
class Source:
    """A piece of the repository an answer was given. Lines 0-based, inclusive."""

    path: str
    line: int
    end_line: int
    kind: str  # "selection" | "file" | "definition"
    name: str = ""

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.path, self.line, self.end_line)

    def label(self) -> str:
        """``path:12-20 name`` with 1-based lines, as a user reads and clicks it."""
        lines = f"{self.line + 1}" if self.end_line == self.line else f"{self.line + 1}-{self.end_line + 1}"
        return f"{self.path}:{lines}" + (f" {self.name}" if self.name else "")

    def as_dict(self) -> dict:
        return {"path": self.path, "line": self.line + 1, "end_line": self.end_line + 1,
                "kind": self.kind, "name": self.name}


@dataclass(frozen=True)
class AskBudget:
    """Token budgets of the context's parts (the chat model's window holds them, the
    conversation so far and the answer)."""

    code_tokens: int = 1536
    definition_tokens: int = 1024
    map_tokens: int = 512

    @classmethod
    def within(cls, total: int) -> "AskBudget":
        """Half for the code asked about, a third for definitions, the rest for the map."""
        return cls(code_tokens=total // 2, definition_tokens=total // 3, map_tokens=total - total // 2 - total // 3)


@dataclass
class AskContext:
    text: str
    sources: list[Source] = field(default_factory=list)
    map_files: list[str] = field(default_factory=list)
    tokens: int = 0


def build_ask_context(
    index,
    target: AskTarget,
    question: str,
    *,
    count_tokens: Callable[[str], int] = estimate_tokens,
    budget: AskBudget = AskBudget(),
    with_map: bool = True,
    known: Collection[tuple[str, int, int]] = (),
) -> AskContext:
    """Context for a question. ``index`` is refreshed already; ``known`` holds the
    source keys an earlier turn of the conversation sent, which are not sent again."""
    parts: list[str] = []
    sources: list[Source] = []
    text = None
    code_part = None
    if target.path is not None:
        text = target.text if target.text is not None else index.read_text(target.path)
        check_lines(target, text)
        code_part, code_source = _code(target, text, count_tokens, budget.code_tokens)
        if code_source.key in known:
            code_part = None
        else:
            sources.append(code_source)
    shown = sources[0] if sources else None

    def already_there(tag) -> bool:
        if any((tag.path, tag.line) == (k[0], k[1]) for k in known):
            return True
        return shown is not None and tag.path == shown.path and shown.line <= tag.line <= shown.end_line

    names = question_names(question)
    if target.path is not None:
        names += [n for n in code_names(index, target.path, text, target.start_line, target.end_line) if n not in names]
    map_files: list[str] = []
    if with_map:
        focus = [target.path] if target.path is not None else []
        whole_file = shown is not None and shown.kind == "file" and (shown.line, shown.end_line) == (0, len(_lines(text)) - 1)
        repo_map = build_repo_map(index, budget_tokens=budget.map_tokens, focus_paths=focus,
                                  focus_names=names[:20], count_tokens=count_tokens,
                                  exclude_paths=focus if whole_file else ())
        if repo_map.text.strip():
            parts.append(render("ask/map", map=repo_map.text.rstrip()))
            map_files = repo_map.files
    spent = 0
    for tag in relevant_definitions(index, names, skip=already_there):
        rendered = render_definition(index, tag)
        part = render("ask/definition", kind=tag.kind.capitalize(), symbol=tag.name, path=tag.path,
                      line=str(tag.line + 1), language=detect_language(tag.path), code=rendered.code)
        cost = count_tokens(part)
        if spent + cost > budget.definition_tokens:
            continue  # a smaller one further down may still fit
        spent += cost
        parts.append(part.rstrip())
        sources.append(Source(tag.path, tag.line, rendered.end_line, "definition", tag.name))
    if code_part is not None:
        parts.append(code_part.rstrip())
    joined = "\n\n".join(parts)
    return AskContext(joined, sources, map_files, count_tokens(joined) if joined else 0)


def _code(target: AskTarget, text: str, count_tokens, budget_tokens: int) -> tuple[str, Source]:
    """The code part: the selection, or the file (around the line when it is too long)."""
    lines = _lines(text)
    language = detect_language(target.path, lines[0] if lines else None)
    if target.scope == "selection":
        start = target.start_line or 0
        end = target.end_line if target.end_line is not None else start + target.selection.count("\n")
        code = target.selection or "\n".join(lines[start:end + 1])
        where = f"selected in {target.path} (lines {start + 1}-{end + 1})"
        return render("ask/code", where=where, language=language, code=code), Source(target.path, start, end, "selection")
    line = target.start_line
    past_the_end = line is not None and line >= len(lines)  # the empty line after the final newline
    if past_the_end:
        line = max(0, len(lines) - 1)
    start, end = _window(lines, line, count_tokens, budget_tokens)
    where = target.path if (start, end) == (0, len(lines) - 1) else f"{target.path} (lines {start + 1}-{end + 1})"
    if past_the_end:
        where += ", at the end of the file"
    elif line is not None:
        where += f", at line {line + 1}: `{lines[line].strip()}`"
    code = "\n".join(lines[start:end + 1])
    return render("ask/code", where=where, language=language, code=code), Source(target.path, start, end, "file")


def _lines(text: str) -> list[str]:
    """The file's lines, without the empty one after a final newline."""
    lines = text.split("\n")
    return lines[:-1] if len(lines) > 1 and lines[-1] == "" else lines


def _window(lines: list[str], line: int | None, count_tokens, budget_tokens: int) -> tuple[int, int]:
    """The whole file when it fits, else the most lines around ``line`` (the top when
    there is none) that do: grown in steps, measured, by halving the step at the end."""
    last = len(lines) - 1
    if count_tokens("\n".join(lines)) <= budget_tokens:
        return 0, last
    centre = line if line is not None else 0
    before_share = 0.6 if line is not None else 0.0  # more of what leads to the line than follows it

    def span(size: int) -> tuple[int, int]:
        start = max(0, centre - int(size * before_share))
        end = min(last, start + size - 1)
        return max(0, end - size + 1), end

    low, high = 1, len(lines)
    while low < high:  # the largest size that fits
        middle = (low + high + 1) // 2
        start, end = span(middle)
        if count_tokens("\n".join(lines[start:end + 1])) <= budget_tokens:
            low = middle
        else:
            high = middle - 1
    return span(low)
