"""`coder fix [PATH[::FUNCTION]]`: make failing tests pass in a model/test feedback loop."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coder.cli.loop_common import (
    Progress, add_loop_arguments, finish, loop_options, open_store, terminated_cleanly,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fix", help="fix failing tests in a model/test feedback loop (candidates run in a sandbox)")
    parser.add_argument("target", nargs="?", metavar="PATH[::FUNCTION]",
                        help="the function to fix (default: found from the failing tests' tracebacks)")
    add_loop_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.loops.api import fix, split_spec
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
                result = fix(workspace.root, args.target, backend, options, on_event=Progress(quiet=args.json),
                             store=store, escalation_backend=escalation)
        finally:
            if escalation is not None:
                escalation.close()
            if store is not None:
                store.close()
        return finish(result, args, workspace)
