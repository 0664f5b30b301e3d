"""`coder optimize PATH::FUNCTION`: a faster version that still passes the tests, measured."""

from __future__ import annotations

import argparse

from coder.cli.loop_common import add_loop_arguments, run_loop


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
    from coder.loops.api import optimize

    return run_loop(args, lambda root, backend, options, on_event, store, escalation: optimize(
        root, args.target, backend, options, bench=args.bench, feedback_mode=args.feedback, on_event=on_event,
        store=store, escalation_backend=escalation))
