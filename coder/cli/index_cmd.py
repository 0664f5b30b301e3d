"""`coder index [PATH] [--stats | --map [--tokens N] [--focus FILE ...]]`: build or
refresh the repository's symbol index; show its figures or its ranked map.

On a terminal a progress line shows the files read; Ctrl-C stops the build and
keeps what was indexed, so running the command again goes on from there."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from coder.errors import UsageError

EXAMPLES_SHOWN = 5  # skipped paths listed by --stats, per reason
MAP_TOKENS = 1024
PROGRESS_INTERVAL = 0.1  # seconds between redraws of the progress line
EXIT_INTERRUPTED = 130  # what shells report for a command stopped by Ctrl-C


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("index", help="build the repository symbol index")
    parser.add_argument("path", nargs="?", default=".", help="the repository (default: here)")
    parser.add_argument("--stats", action="store_true", help="per-language counts, cache hits, skipped files")
    parser.add_argument("--map", action="store_true", help="print the ranked repository map: its most used definitions")
    parser.add_argument("--tokens", type=int, metavar="N", help=f"the map's budget, in estimated tokens (default {MAP_TOKENS})")
    parser.add_argument("--focus", nargs="+", action="extend", default=[], metavar="FILE",
                        help="rank the map as seen from these files; they are left out of it, "
                        "as a prompt about them holds them whole")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.index.repo_index import RepoIndex
    from coder.settings import load_settings

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{root}: no such directory; give the repository's folder")
    _check_map_options(args)
    settings = load_settings(start=root.resolve())
    index = RepoIndex(root, max_file_bytes=settings.index.max_file_bytes, exclude=settings.index.exclude)
    bar = ProgressLine(sys.stderr)
    try:
        try:
            stats = index.refresh(progress=bar.update)
        except KeyboardInterrupt:
            bar.clear()
            print(f"interrupted: {bar.done} of {bar.total} files read and kept; "
                  f"run `coder index` again to go on from there", file=sys.stderr)
            return EXIT_INTERRUPTED
        bar.clear()
        if args.map:
            return _print_map(index, args)
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


def _check_map_options(args: argparse.Namespace) -> None:
    if args.map and args.stats:
        raise UsageError("--map and --stats are separate views; give one")
    if not args.map and (args.tokens is not None or args.focus):
        raise UsageError("--tokens and --focus shape the map; add --map")
    if args.tokens is not None and args.tokens <= 0:
        raise UsageError(f"--tokens {args.tokens}: give a positive number of tokens")


def _print_map(index, args: argparse.Namespace) -> int:
    from coder.context.repo_map import build_repo_map

    focus = [_indexed_path(index, name) for name in args.focus]
    repo_map = build_repo_map(index, budget_tokens=args.tokens or MAP_TOKENS, focus_paths=focus, exclude_paths=focus)
    sys.stdout.write(repo_map.text)
    print(f"map: {repo_map.tokens} estimated tokens, {len(repo_map.files)} files, "
          f"{len(repo_map.definitions)} definitions", file=sys.stderr)
    return 0


def _indexed_path(index, name: str) -> str:
    """A --focus file as the index names it: given from here, or from the repository's root."""
    indexed = set(index.files())
    given = Path(name)
    for candidate in (Path.cwd() / given, index.root / given):
        try:
            relative = candidate.resolve().relative_to(index.root).as_posix()
        except ValueError:
            continue
        if relative in indexed:
            return relative
    raise UsageError(f"--focus {name}: not a file in the index of {index.root}")


class ProgressLine:
    """``done/total files`` redrawn in place on a terminal; silent elsewhere."""

    def __init__(self, stream):
        self._stream = stream
        self._shown = False
        self._last = 0.0
        self.done = self.total = 0
        try:
            self._enabled = stream.isatty()
        except (AttributeError, ValueError):
            self._enabled = False

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if not self._enabled or total < 1 or (now - self._last < PROGRESS_INTERVAL and done < total):
            return
        self._last = now
        width = 30
        filled = width * done // total
        self._stream.write(f"\rindexing [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._shown = False
