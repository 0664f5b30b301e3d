"""Member completion on a real package: free generation vs context vs grounded.

    .venv/bin/python bench/bench_members.py [--package PATH] [--limit 100] [--all]
        [--threads 2] [--model PATH] [--out FILE.jsonl] [--modes free,context,grounded]
        [--resolver-only] [--share-prompts]

``--resolver-only`` reports what the resolver knows at the sites, without a model (a
few seconds); ``--modes grounded`` runs one mode (a third of the time).

The package (default: the installed GitPython, ``site-packages/git``; try ``rich``)
is copied into a temporary git repository and indexed there. A site is an
``X.member`` where ``member`` is defined in another file of the package, is not
defined in the file itself, and ``.member`` does not occur earlier in the file (see
bench/member_sites.py); sites on ``self``/``cls`` are included and also reported on
their own row. The cursor is right after the ``.``, and the rest of that line is
removed: the user is typing the line, and every other line of the file is in the
buffer (prefix and suffix), as in an editor. The buffer is also given to the index
as an unsaved file, as the editor front would.

Each site is completed three times, each mode with its own engine (so no anchor or
suggestion cache of one mode serves another; the one model and its KV cache are
shared, and the modes run in an order where none reuses another's prompt):

- free: ``context="local"``, ``grounding="off"``: the file only, no names;
- context: ``context="repo"``, ``grounding="hint"``: cross-file definitions and a
  line naming the best valid members, nothing enforced;
- grounded: ``context="repo"``, ``grounding="on"``: the hint, the first identifier
  constrained to the valid names, and a check that re-generates invalid names.

Figures per mode, by the resolver's confidence at the site (high / low), by receiver
(self/cls / other) and in total: exact match of the member (the suggestion's first
identifier is the real member), invalid names (the first identifier is not in the
resolver's set at a high-confidence site; only measured there), empty suggestions,
suggestions not starting with a name, what the engine dropped or flagged itself,
generations per request, and latency p50 / p95 (``timings_ms["total"]``; each site
is a cold request, nothing typed before it). One JSON line per site goes to --out.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from member_sites import copy_package, find_sites, spread, typed_buffer  # noqa: E402

from coder.completion.engine import CompletionEngine, CompletionRequest  # noqa: E402
from coder.grounding import resolve_names  # noqa: E402
from coder.index.repo_index import RepoIndex  # noqa: E402
from coder.models.llama_backend import LlamaWorkerBackend  # noqa: E402

SITE_PACKAGES = Path(__file__).resolve().parents[1] / ".venv" / "lib" / "python3.11" / "site-packages"
# name -> (context level, grounding mode)
MODES = {"free": ("local", "off"), "context": ("repo", "hint"), "grounded": ("repo", "on")}
# context and grounded build the same prompt: run free between them, so that grounded
# does not find the whole prompt in the KV cache and each mode's latency is a cold one.
RUN_ORDER = ("context", "free", "grounded")
# --share-prompts: grounded right after context, so it reuses most of context's prompt
# from the KV cache (a third less prompt evaluation on a busy machine; the exact-match
# figures are the same, the latencies of grounded are then not cold ones).
SHARED_ORDER = ("context", "grounded", "free")
# After a "." the user may type spaces before the name; nothing else starts a member.
FIRST_NAME = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_]*)")
# `self.total = 0` or `self.top, ...` (a tuple target): a new attribute, valid
# where the resolver says assignable.
ASSIGNMENT = re.compile(r"[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*(?:(?::[^=]*)?=(?!=)|,)")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def judge(text: str, member: str, names) -> dict:
    """What one suggestion says about the member, against the resolver's set."""
    match = FIRST_NAME.match(text)
    first = match.group(1) if match else None
    # Only a confident set can call a name invalid: a low one may miss valid names.
    invalid = (
        first is not None
        and names.is_high
        and first not in names.names
        and not (names.assignable and ASSIGNMENT.match(text))
    )
    return {"first": first, "exact": first == member, "invalid": invalid}


def run_site(engines, index, root: Path, site, buffer: str, modes, order=RUN_ORDER) -> dict:
    path = str(root / site.path)
    names = resolve_names(index, path, buffer, site.line, site.column, "python")
    record = {
        "path": site.path, "line": site.line + 1, "column": site.column + 1,
        "receiver": site.receiver, "member": site.member, "on_self": site.on_self,
        "confidence": names.confidence, "reason": names.reason, "label": names.receiver_label,
        "valid_names": len(names.names), "member_in_names": site.member in names.names,
        "member_rank": names.names.index(site.member) if site.member in names.names else None,
        "assignable": names.assignable,
        "line_text": buffer.split("\n")[site.line], "modes": {},
    }
    for mode in [mode for mode in order if mode in modes]:
        level, grounding = MODES[mode]
        engine = engines[mode]
        # A suggestion cached from an earlier request would skip the model.
        engine.cache.forget(path)
        suggestion = engine.complete(
            CompletionRequest(path, buffer, site.line, site.column, language="python", context=level,
                              max_tokens=16, multiline="never", grounding=grounding)
        )
        report = suggestion.grounding
        record["modes"][mode] = {
            "text": suggestion.text,
            "raw": engine.last_raw,
            **judge(suggestion.text, site.member, names),
            "empty": not suggestion.text.strip(),
            "dropped": bool(report.get("dropped")),
            "engine_invalid": list(report.get("invalid_names", [])),
            "engine_confidence": report.get("confidence"),
            "hint": report.get("hint"),
            "constrained": report.get("constrained"),
            "generations": len(suggestion.candidates),
            "rejected": [c["rejected"] for c in suggestion.candidates],
            "candidates": [c["text"] for c in suggestion.candidates],
            "finish_reason": suggestion.tokens.get("finish_reason"),
            "ms": suggestion.timings_ms.get("total", 0.0),
            "prompt_tokens": suggestion.tokens.get("prompt"),
            # Where the time went, to tell a slow site from a busy machine.
            "evaluated_tokens": suggestion.tokens.get("evaluated"),
            "generated_tokens": suggestion.tokens.get("generated"),
            "context_ms": suggestion.timings_ms.get("context"),
        }
    return record


def summary(records: list[dict], mode: str) -> dict:
    results = [r["modes"][mode] for r in records]
    high = [r["modes"][mode] for r in records if r["confidence"] == "high"]
    count = len(results)
    latencies = [m["ms"] for m in results]
    return {
        "sites": count,
        "exact": sum(m["exact"] for m in results) / count,
        "invalid": sum(m["invalid"] for m in high) / len(high) if high else None,
        "empty": sum(m["empty"] for m in results) / count,
        "no_name": sum(m["first"] is None and not m["empty"] for m in results) / count,
        "dropped": sum(m["dropped"] for m in results),
        "engine_invalid": sum(bool(m["engine_invalid"]) for m in results),
        "generations": statistics.mean(m["generations"] for m in results),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
    }


def print_table(records: list[dict], modes) -> None:
    groups = [
        ("high", [r for r in records if r["confidence"] == "high"]),
        ("low", [r for r in records if r["confidence"] != "high"]),
        ("self/cls", [r for r in records if r["on_self"]]),
        ("other", [r for r in records if not r["on_self"]]),
        ("all", records),
    ]
    print(f"{'group':<9}{'sites':>6}  {'mode':<9}{'exact':>7}{'invalid':>9}{'empty':>7}{'noname':>8}"
          f"{'dropped':>9}{'flagged':>9}{'gens':>6}{'p50 ms':>8}{'p95 ms':>8}")
    for label, members in groups:
        if not members:
            continue
        for mode in modes:
            s = summary(members, mode)
            invalid = f"{s['invalid']:.1%}" if s["invalid"] is not None else "-"
            print(f"{label:<9}{s['sites']:>6}  {mode:<9}{s['exact']:>7.1%}{invalid:>9}{s['empty']:>7.1%}"
                  f"{s['no_name']:>8.1%}{s['dropped']:>9}{s['engine_invalid']:>9}{s['generations']:>6.2f}"
                  f"{s['p50']:>8.0f}{s['p95']:>8.0f}")
            label = ""


def print_resolver(records: list[dict]) -> None:
    """How much the grounded mode can do at all: a set without the real member
    forces a wrong name, one that ranks it low hides it from the hint."""
    high = [r for r in records if r["confidence"] == "high"]
    low_known = [r for r in records if r["confidence"] != "high" and r["valid_names"]]
    # Where a new attribute may be assigned (`self.top, self.` in a tuple target), a
    # member outside the set is the user creating it, not a wrong set.
    missing = [r for r in high if not r["member_in_names"] and not r.get("assignable")]
    new_attributes = [r for r in high if not r["member_in_names"] and r.get("assignable")]
    in_hint = [r for r in high if "context" in r["modes"] and r["modes"]["context"]["hint"] and re.search(
        r"(?<![\w.])" + re.escape(r["member"]) + r"\b", r["modes"]["context"]["hint"])]
    print(f"resolver: high {len(high)}/{len(records)} sites; member in the set at "
          f"{len(high) - len(missing) - len(new_attributes)}/{len(high)} high sites "
          f"(+{len(new_attributes)} creating a new attribute), in the hint line at {len(in_hint)}/{len(high)}; "
          f"low with a partial set: {len(low_known)}")
    disagree = [r for r in records if "context" in r["modes"]
                and r["modes"]["context"]["engine_confidence"] != r["confidence"]]
    if disagree:
        print(f"  engine and benchmark resolver disagree on confidence at {len(disagree)} sites")
    for r in missing[:10]:
        print(f"  high but member missing: {r['path']}:{r['line']}:{r['column']} "
              f"{r['receiver']}.{r['member']} ({r['label']}, {r['valid_names']} names)")
    reasons: dict[str, int] = {}
    for r in records:
        if r["confidence"] != "high":
            # Drop the names in the reason so like reasons count together.
            key = re.sub(r"'[^']*'|\"[^\"]*\"|\S+\.\S+|\b[A-Z]\w*\b", "…", r["reason"])
            reasons[key] = reasons.get(key, 0) + 1
    top = sorted(reasons.items(), key=lambda item: -item[1])[:6]
    print("  low-confidence reasons: " + "; ".join(f"{reason} ({count})" for reason, count in top))


def default_model() -> Path:
    """The default completion model (Qwen2.5-Coder-0.5B-Instruct, joined from its
    installed PyPI parts), else the demo model."""
    from coder.models.demo import demo_model_path
    from coder.models.registry import QWEN_05B_INSTRUCT
    from coder.models.resolve import installed_path

    return installed_path(QWEN_05B_INSTRUCT) or demo_model_path()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, default=SITE_PACKAGES / "git", help="an installed package's folder")
    parser.add_argument("--limit", type=int, default=100, help="sites to run (an even spread over the package)")
    parser.add_argument("--all", action="store_true", help="every site")
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: free, context, grounded")
    parser.add_argument("--share-prompts", action="store_true",
                        help="grounded reuses context's prompt (quality figures only: its latency is not cold)")
    parser.add_argument("--resolver-only", action="store_true", help="only the resolver's figures, no model")
    parser.add_argument("--out", type=Path, default=None, help="one JSON line per site (default bench/out/members-NAME.jsonl)")
    args = parser.parse_args()
    modes = [] if args.resolver_only else [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        parser.error(f"unknown mode {unknown[0]!r}: use {', '.join(MODES)}")
    if args.model is None:
        args.model = str(default_model())
    out = args.out or Path(__file__).resolve().parent / "out" / f"members-{args.package.name}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        root = copy_package(args.package.resolve(), Path(folder))
        # The cache inside the temporary folder: nothing left in the user's cache.
        index = RepoIndex(root, cache_path=Path(folder) / "index.sqlite3")
        stats = index.refresh()
        every = find_sites(index, root)
        sites = spread(every, None if args.all else args.limit)
        print(f"package: {args.package} ({stats.files} files, {stats.definitions} definitions); "
              f"sites: {len(every)} ({sum(s.on_self for s in every)} on self/cls), running {len(sites)}; "
              f"setup {time.perf_counter() - started:.1f} s")
        backend = LlamaWorkerBackend(args.model, n_ctx=2048, n_threads=args.threads) if modes else None
        engines = {mode: CompletionEngine(backend, index=index) for mode in modes}
        records = []
        buffered = None
        run_started = time.perf_counter()
        try:
            for number, site in enumerate(sites):
                path = root / site.path
                if buffered is not None and buffered != path:
                    index.update_file(buffered, None)  # the editor closed that buffer
                buffer = typed_buffer(path.read_text(encoding="utf-8", errors="replace"), site)
                index.update_file(path, buffer)
                buffered = path
                if number == 0 and modes:
                    # Load the model and warm llama.cpp once, outside the figures.
                    engines[modes[0]].complete(CompletionRequest(str(path), buffer, site.line, site.column,
                                                               language="python", context="local",
                                                               max_tokens=4, multiline="never", grounding="off"))
                records.append(run_site(engines, index, root, site, buffer, modes,
                                        SHARED_ORDER if args.share_prompts else RUN_ORDER))
                if (number + 1) % 10 == 0:
                    # A run takes minutes: show that it moves (stderr keeps stdout the figures).
                    print(f"  {number + 1}/{len(sites)} sites, {time.perf_counter() - run_started:.0f} s",
                          file=sys.stderr, flush=True)
        finally:
            if backend is not None:
                backend.close()
            index.close()
    elapsed = time.perf_counter() - run_started
    with out.open("w") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    print(f"model: {Path(args.model).name}  threads: {args.threads}  max tokens 16, single line  "
          f"time: {elapsed:.0f} s for {len(records) * len(modes)} requests; per-site records: {out}")
    print_table(records, modes)
    print_resolver(records)
    print("exact: first identifier == the real member; invalid: first identifier outside the resolver's set, "
          "high-confidence sites only; dropped: the engine showed nothing after rejecting invented names; "
          "flagged: the engine's check found invalid names in some generation; gens: generations per request")


if __name__ == "__main__":
    main()
