"""`coder runs`: the history of fix and optimize runs; show one; apply a kept candidate."""

from __future__ import annotations

import argparse
import json

from coder.errors import UsageError
from coder.loops.run_summary import candidate_outcome, when


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("runs", help="list fix/optimize runs; `runs show ID`, `runs apply ID`")
    parser.add_argument("action", nargs="?", choices=("list", "show", "apply"), default="list")
    parser.add_argument("id", nargs="?", type=int, help="the run's id (from `coder runs`)")
    parser.add_argument("--candidate", type=int, help="with apply: this candidate instead of the run's best")
    parser.add_argument("--limit", type=int, default=20, help="runs to list (default 20)")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.settings import load_settings
    from coder.store import Store

    if args.action != "list" and args.id is None:
        raise UsageError(f"`coder runs {args.action}` needs a run id (see `coder runs`)")
    with Store.open(load_settings().store_path) as store:
        if args.action == "list":
            return _list(store, args)
        found = store.loop_run(args.id)
        if found is None:
            raise UsageError(f"no run {args.id} in the history (see `coder runs`)")
        if args.action == "show":
            return _show(store, found, args)
        return _apply(store, found, args)


def _list(store, args) -> int:
    runs = store.loop_runs(args.limit)
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    if not runs:
        print("no fix or optimize runs yet")
        return 0
    for row in runs:
        print(f"{row['id']:>4}  {when(row['created_at'])}  {row['kind']:<8}  {row['outcome']:<10}  "
              f"rounds {row['rounds']}  candidates {row['candidates']}  {row['target']}"
              + (f"  (solved by {row['solved_by']})" if row.get("solved_by") else ""))
    return 0


def _show(store, found: dict, args) -> int:
    candidates = store.loop_candidates(found["id"])
    if args.json:
        print(json.dumps({"run": found, "candidates": candidates}, indent=2))
        return 0
    print(f"run {found['id']}: {found['kind']} {found['target']} in {found['repo_root']}")
    print(f"  {when(found['created_at'])}, model {found['model']}, outcome {found['outcome']}, "
          f"{found['rounds']} round(s)" + (f", solved by {found['solved_by']}" if found.get("solved_by") else ""))
    by_round: dict[int, list[dict]] = {}
    for candidate in candidates:
        by_round.setdefault(candidate["round"], []).append(candidate)
    for number, group in sorted(by_round.items()):
        print(f"round {number}:")
        for candidate in group:
            line = f"  candidate {candidate['id']} ({candidate['model']}): {candidate_outcome(candidate)}"
            if candidate["id"] == found["best_candidate_id"]:
                line += "  <- best"
            print(line)
    best = store.loop_candidate(found["best_candidate_id"]) if found["best_candidate_id"] else None
    if best is not None and best["definition"]:
        print("best candidate:")
        print(best["definition"])
    return 0


def _apply(store, found: dict, args) -> int:
    from pathlib import Path

    from coder.loops.session import apply_candidate

    candidate_id = args.candidate or found["best_candidate_id"]
    if candidate_id is None:
        raise UsageError(f"run {found['id']} kept no passing candidate; name one with --candidate ID")
    candidate = store.loop_candidate(candidate_id)
    if candidate is None or candidate["run_id"] != found["id"] or not candidate["file_text"]:
        raise UsageError(f"candidate {candidate_id} is not a usable candidate of run {found['id']}")
    path = apply_candidate(Path(found["repo_root"]), found["path"], found["original_sha256"], candidate["file_text"])
    print(f"applied candidate {candidate_id} of run {found['id']} to {path}")
    return 0
