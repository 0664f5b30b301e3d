"""`coder stats`: how often suggestions are accepted, per language, from the history."""

from __future__ import annotations

import argparse
import json
import time

from coder.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("stats", help="acceptance rate of suggestions per language")
    parser.add_argument("--days", type=float, help="only the last DAYS days")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.settings import load_settings
    from coder.store import Store

    if args.days is not None and args.days <= 0:
        raise UsageError("--days must be more than 0")
    since = time.time() - args.days * 86400 if args.days else None
    settings = load_settings()
    with Store.open(settings.store_path) as store:
        rows = store.acceptance_by_language(since)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no suggestions recorded yet (editors record them through `coder lsp`)")
        return 0
    width = max(8, *(len(r["language"]) for r in rows))
    print(f"{'language':<{width}}  {'shown':>7}  {'accepted':>8}  {'rate':>6}")
    for row in rows:
        print(f"{row['language']:<{width}}  {row['shown']:>7}  {row['accepted']:>8}  {row['rate']:>6.1%}")
    shown = sum(r["shown"] for r in rows)
    accepted = sum(r["accepted"] for r in rows)
    print(f"{'all':<{width}}  {shown:>7}  {accepted:>8}  {accepted / shown:>6.1%}")
    return 0
