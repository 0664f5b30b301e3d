"""`coder complete PATH:LINE:COL`: one suggestion at a position, as an editor asks."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from coder.errors import UsageError

POSITION = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<column>\d+)$")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("complete", help="complete the code at PATH:LINE:COL (1-based)")
    parser.add_argument("position", metavar="PATH:LINE:COL", help="file and 1-based line and column")
    parser.add_argument("--context", choices=("none", "local", "repo"), help="how much context to use")
    parser.add_argument("--max-tokens", type=int, help="most tokens to generate")
    parser.add_argument(
        "--grounding", choices=("off", "hint", "on"),
        help="names from the repository index: off, hint (in the prompt), on (also constrain and check)",
    )
    parser.add_argument("--json", action="store_true", help="print text, range, timings, tokens, sources")
    parser.set_defaults(handler=run)


def parse_position(value: str) -> tuple[Path, int, int]:
    match = POSITION.match(value)
    if not match:
        raise UsageError(f"{value!r} is not PATH:LINE:COL (e.g. src/app.py:12:5, 1-based)")
    line, column = int(match["line"]), int(match["column"])
    if line < 1 or column < 1:
        raise UsageError(f"{value!r}: lines and columns start at 1")
    return Path(match["path"]), line - 1, column - 1


def read_source(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a file") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot be read ({error.strerror})") from None
    if b"\0" in data[:8192]:
        raise UsageError(f"{path}: is a binary file; coder completes text files")
    return data.decode("utf-8", errors="replace")


def run(args: argparse.Namespace) -> int:
    from coder.completion.engine import CompletionEngine, CompletionRequest, split_at
    from coder.models.factory import open_backend
    from coder.settings import load_settings

    if args.max_tokens is not None and args.max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1")
    path, line, column = parse_position(args.position)
    text = read_source(path)
    split_at(text, line, column)  # a bad position fails before a model is loaded
    from coder.syntax.languages import detect_language

    language = detect_language(path, text.split("\n", 1)[0])
    settings = load_settings(start=path.resolve().parent)
    opened = open_backend(settings, args.model)
    if opened.notice:
        print(f"coder: {opened.notice}", file=sys.stderr)
    context = args.context or settings.completion.context
    index = _repo_index(path, settings) if context == "repo" else None
    model_name = opened.backend.info().name
    try:
        engine = CompletionEngine(opened.backend, index=index)
        suggestion = engine.complete(
            CompletionRequest(
                path=str(path),
                text=text,
                language=language,
                line=line,
                column=column,
                max_tokens=args.max_tokens or settings.completion.max_tokens,
                budget_tokens=settings.completion.prompt_tokens,
                context=context,
                multiline=settings.completion.multiline,
                grounding=args.grounding or settings.completion.grounding,
                candidates=settings.completion.candidates,
            )
        )
    finally:
        opened.backend.close()
        if index is not None:
            index.close()
    if args.json:
        print(json.dumps(suggestion.as_dict(), indent=2))
    else:
        print(suggestion.text)
    _record(settings, model_name, str(path), language, suggestion)
    return 0


def _record(settings, model: str, path: str, language: str, suggestion) -> None:
    """Keep the suggestion in the history; a store problem costs the record only."""
    from coder.errors import CoderError
    from coder.store import Store

    if not suggestion.text:
        return
    try:
        with Store.open(settings.store_path) as store:
            store.record_completion(
                path=path, language=language, model=model, suggestion=suggestion.text,
                latency_ms=suggestion.timings_ms.get("total"), candidates=max(1, len(suggestion.candidates)),
                invalid_names=len(suggestion.grounding.get("invalid_names", ())),
            )
    except CoderError as error:
        print(f"coder: {error.message} (the suggestion was not recorded)", file=sys.stderr)


def _repo_index(path: Path, settings):
    """The index of the repository the file is in (its git root, else its folder)."""
    from coder.index.repo_index import RepoIndex

    folder = path.resolve().parent
    root = next((p for p in (folder, *folder.parents) if (p / ".git").exists()), folder)
    index = RepoIndex(root, max_file_bytes=settings.index.max_file_bytes, exclude=settings.index.exclude)
    index.refresh()
    return index
