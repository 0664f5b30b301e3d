"""`coder fix [PATH[::FUNCTION]]`: make failing tests pass in a model/test feedback loop."""

from __future__ import annotations

import argparse

from coder.cli.loop_common import add_loop_arguments, run_loop


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fix", help="fix failing tests in a model/test feedback loop (candidates run in a sandbox)")
    parser.add_argument("target", nargs="?", metavar="PATH[::FUNCTION]",
                        help="the function to fix (default: found from the failing tests' tracebacks)")
    add_loop_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.loops.api import fix

    return run_loop(args, lambda root, backend, options, on_event, store, escalation: fix(
        root, args.target, backend, options, on_event=on_event, store=store, escalation_backend=escalation))
