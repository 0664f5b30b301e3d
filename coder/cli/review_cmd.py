"""`coder review`: the local model reads a change and points at likely bugs.

    coder review                      the staged change (what `git commit` would record)
    coder review --diff HEAD          what one commit changed; --diff A..B a range
    coder review src/app.py::parse    one file, or one function of it, as it is on disk
    coder review --format sarif       text | json | sarif | rdjsonl
    coder review --last               the previous result again, without a model

The exit status is 1 when a finding is at or above review.block_severity (default
error), so CI can fail on it; 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coder.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("review", help="review the staged change (or a commit range, or a file) with the model")
    parser.add_argument("target", nargs="?", metavar="PATH[::FUNCTION]", help="review one file or function as it is on disk")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--staged", action="store_true", help="review the staged change (the default)")
    which.add_argument("--diff", metavar="REV[..REV]", help="review what commit REV changed, or the range A..B")
    which.add_argument("--last", action="store_true", help="show the previous review's result (no model call)")
    parser.add_argument("--format", choices=("text", "json", "sarif", "rdjsonl"), default="text")
    parser.add_argument("--verbose", action="store_true", help="also show unparsable replies and dropped findings")
    parser.add_argument("--min-confidence", type=float, metavar="X", help="cutoff for model findings, 0 to 1")
    parser.add_argument("--no-model", action="store_true", help="run only the sure checks")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.review.output_formats import render
    from coder.workspace import Workspace

    if args.target and (args.diff or args.staged or args.last):
        raise UsageError("give PATH[::FUNCTION], --staged, --diff or --last, not several")
    if args.min_confidence is not None and not 0 <= args.min_confidence <= 1:
        raise UsageError("--min-confidence must be from 0 to 1")
    start = Path(args.target.partition("::")[0]) if args.target else Path(".")
    with Workspace.open(start if start.exists() else Path("."), explicit_model=args.model) as workspace:
        if args.last:
            result = _last(workspace)
        else:
            result = _review(workspace, args)
        threshold = workspace.settings.review.block_severity
    colour = args.format == "text" and sys.stdout.isatty()
    sys.stdout.write(render(result, args.format, colour=colour, verbose=args.verbose))
    if args.format != "text":
        from coder.review.output_formats import summary_lines

        for line in summary_lines(result, verbose=args.verbose)[1:]:
            print(line, file=sys.stderr)
    return 1 if result.blocking(threshold) else 0


def _review(workspace, args):
    from coder.review.changes import open_repo
    from coder.review.session import choose_changes, diff_key, remember, run_review

    repo = open_repo(workspace.root)
    changes = choose_changes(repo, workspace.root, diff=args.diff, target=args.target)
    if not changes.files and not changes.skipped:
        what = "nothing is staged" if changes.label == "staged" else f"{changes.label} changes nothing"
        raise UsageError(f"{what}; stage a change with git add, or give --diff REV or PATH")
    result = run_review(workspace, changes, use_model=not args.no_model, min_confidence=args.min_confidence)
    for notice in workspace.notices:
        print(f"coder: {notice}", file=sys.stderr)
    key = diff_key(repo, ("--cached",)) if changes.label == "staged" else None
    problem = remember(workspace, result, "reviewed", key)
    if problem:
        print(f"coder: {problem}", file=sys.stderr)
    return result


def _last(workspace):
    from coder.review.session import last_result

    found = last_result(workspace)
    if found is None:
        raise UsageError(f"no review of {workspace.root} is recorded yet; run coder review first")
    result, record = found
    if record["commit_sha"] and not result.commit:
        result.commit = record["commit_sha"]
    return result
