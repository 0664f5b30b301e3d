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
    from coder.completion.engine import split_at
    from coder.workspace import Workspace

    if args.max_tokens is not None and args.max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1")
    path, line, column = parse_position(args.position)
    text = read_source(path)
    split_at(text, line, column)  # a bad position fails before a model is loaded
    with Workspace.open(path, explicit_model=args.model) as workspace:
        settings = workspace.settings
        request = workspace.completion_request(
            str(path), text, line, column, max_tokens=args.max_tokens,
            context=args.context, grounding=args.grounding,
        )
        backend = workspace.backend
        for notice in workspace.notices:
            print(f"coder: {notice}", file=sys.stderr)
        model_name = backend.info().name
        suggestion = workspace.engine_for(request.context).complete(request)
    if args.json:
        print(json.dumps(suggestion.as_dict(), indent=2))
    else:
        print(suggestion.text)
    _record(settings, model_name, str(path), request.language, suggestion)
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
