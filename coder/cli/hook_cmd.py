"""`coder hook install|uninstall|run`: the pre-commit review hook of a repository."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hook", help="install or remove the pre-commit review hook")
    actions = parser.add_subparsers(dest="hook_action", metavar="ACTION", required=True)
    actions.add_parser("install", help="review each commit's staged change (keeps and chains an existing hook)")
    actions.add_parser("uninstall", help="remove the review hook (restores a hook it chained)")
    actions.add_parser("run", help="what the hook runs: review the staged change, block on errors, fail open")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.hook_action == "run":
        from coder.review.hook_run import run_hook

        return run_hook(Path("."), explicit_model=args.model)
    from coder.review import hook_files
    from coder.review.changes import open_repo

    repo = open_repo(Path("."))
    said = hook_files.install(repo) if args.hook_action == "install" else hook_files.uninstall(repo)
    for line in said:
        print(f"coder: {line}", file=sys.stderr)
    return 0
