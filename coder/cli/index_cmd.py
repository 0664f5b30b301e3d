"""`coder index [PATH] [--stats]`: build or refresh the repository's symbol index."""

from __future__ import annotations

import argparse
from pathlib import Path

from coder.errors import UsageError

EXAMPLES_SHOWN = 5  # skipped paths listed by --stats, per reason


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("index", help="build the repository symbol index")
    parser.add_argument("path", nargs="?", default=".", help="the repository (default: here)")
    parser.add_argument("--stats", action="store_true", help="per-language counts, cache hits, skipped files")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.index.repo_index import RepoIndex
    from coder.settings import load_settings

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{root}: no such directory; give the repository's folder")
    settings = load_settings(start=root.resolve())
    index = RepoIndex(root, max_file_bytes=settings.index.max_file_bytes, exclude=settings.index.exclude)
    try:
        stats = index.refresh()
        summary = index.language_summary() if args.stats else {}
    finally:
        index.close()
    languages = ", ".join(f"{name} {count}" for name, count in sorted(stats.languages.items(), key=lambda kv: -kv[1]))
    print(f"files:      {stats.files} ({stats.parsed} parsed, {stats.cached} from cache, {stats.removed} removed)")
    print(f"symbols:    {stats.definitions} definitions, {stats.references} references")
    print(f"languages:  {languages or 'none'}")
    skipped = len(stats.skipped_binary) + len(stats.skipped_large)
    print(f"skipped:    {skipped} ({len(stats.skipped_binary)} binary, {len(stats.skipped_large)} over {settings.index.max_file_bytes} bytes)")
    print(f"time:       {stats.seconds:.2f} s")
    if args.stats:
        print("per language (files, definitions, references):")
        for language, (files, definitions, references) in sorted(summary.items(), key=lambda kv: -kv[1][0]):
            print(f"  {language:<12} {files:>7} {definitions:>9} {references:>10}")
        for label, names in (("binary", stats.skipped_binary), ("too large", stats.skipped_large)):
            for name in names[:EXAMPLES_SHOWN]:
                print(f"  skipped ({label}): {name}")
            if len(names) > EXAMPLES_SHOWN:
                print(f"  skipped ({label}): ... and {len(names) - EXAMPLES_SHOWN} more")
        print(f"cache:      {index.cache_path}")
    return 0
