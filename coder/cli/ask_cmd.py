"""`coder ask "QUESTION" [PATH[:LINE] | PATH:START-END]`: ask the chat model about the
repository, a file, a line or some lines; the answer streams to the terminal and the
sources it was given follow it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coder.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ask", help="ask a question about the repository, a file or some lines")
    parser.add_argument("question", help="the question, in quotes")
    parser.add_argument("target", nargs="?", metavar="PATH[:LINE]",
                        help="what it is about: a file, PATH:LINE or PATH:START-END (1-based); default: the repository")
    parser.add_argument("--max-tokens", type=int, help="most tokens the answer may have")
    parser.add_argument("--json", action="store_true", help="print the answer, sources and timings as JSON at the end")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.ask.target import AskTarget, check_lines, parse_target
    from coder.cli.complete_cmd import read_source
    from coder.workspace import Workspace

    if not args.question.strip():
        raise UsageError("the question is empty; write what you want to know, in quotes")
    if args.max_tokens is not None and args.max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1")
    start = Path(".")
    path = start_line = end_line = None
    if args.target:
        path, start_line, end_line = parse_target(args.target)
        if path.is_dir():
            if start_line is not None:
                raise UsageError(f"{path}: is a directory; a line needs a file")
            start, path = path, None
        else:
            start = path
    text = read_source(path) if path is not None else None
    with Workspace.open(start, explicit_model=args.model) as workspace:
        target = AskTarget()
        if path is not None:
            target = AskTarget(workspace.relative(path), start_line, end_line, text=text)
            check_lines(target, text)  # a bad line fails before a model is loaded
        session = workspace.ask_session()
        for notice in workspace.notices:
            print(f"coder: {notice}", file=sys.stderr)
        if args.max_tokens:
            session.answer_tokens = args.max_tokens
        reply = session.ask(args.question, target)
        out = sys.stdout
        for piece in reply:
            if not args.json:
                out.write(piece)
                out.flush()
    if args.json:
        print(json.dumps({
            "answer": reply.text, "target": target.describe(),
            "sources": [s.as_dict() for s in reply.sources],
            "stats": reply.stats.as_dict(), "tokens_per_second": reply.tokens_per_second(),
        }, indent=2))
        return 0
    if not reply.text.endswith("\n"):
        out.write("\n")
    if reply.sources:
        print("\nsources:")
        for source in reply.sources:
            print(f"  {source.label()}")
    return 0
