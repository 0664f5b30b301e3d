"""`coder optimize PATH::FUNCTION`: a faster version that still passes the tests, measured."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coder.cli.loop_common import (
    Progress, add_loop_arguments, finish, loop_options, open_store, terminated_cleanly,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "optimize", help="make a function faster in a model/test/timing loop (candidates run in a sandbox)")
    parser.add_argument("target", metavar="PATH::FUNCTION", help="the function to make faster")
    parser.add_argument("--bench", metavar="EXPR",
                        help="the workload to time, a Python expression over the module's names "
                        "(default: the calls the tests make)")
    parser.add_argument("--feedback", choices=("profile", "timings", "none"), default="profile",
                        help="what the model learns about each candidate (default: timings and the line profile)")
    add_loop_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.loops.api import optimize, split_spec
    from coder.loops.escalation import escalation_backend
    from coder.workspace import Workspace

    path, _ = split_spec(args.target)
    with Workspace.open(Path(path) if path else Path.cwd(), explicit_model=args.model) as workspace:
        options = loop_options(args, workspace.settings)
        backend = workspace.chat_backend
        for notice in workspace.notices:
            print(f"coder: {notice}", file=sys.stderr)
        escalation = escalation_backend(workspace.settings)
        store = open_store(workspace.settings)
        try:
            with terminated_cleanly():
                result = optimize(workspace.root, args.target, backend, options, bench=args.bench,
                                  feedback_mode=args.feedback, on_event=Progress(quiet=args.json), store=store,
                                  escalation_backend=escalation)
        finally:
            if escalation is not None:
                escalation.close()
            if store is not None:
                store.close()
        return finish(result, args, workspace)
