"""Time to the first completion after a file is opened: cold vs warmed cache.

    .venv/bin/python bench/bench_warm.py [--model PATH] [--rounds 4] [--idle 0]

Each round opens two real files (rich-free: files of installed packages none of us
wrote) in turn: one cold (the model last saw another file, as when a user switches
files) and one warmed (``CompletionEngine.warm`` ran when the file was opened, and the
user's first request comes ``--idle`` seconds later, or as soon as warming ends when 0).
The first request is at the next pause after the cursor position the file opened at.
Alternating cold and warm in one run keeps the machine's load the same for both.
Prints per side: median and max ms to the first suggestion, tokens evaluated.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coder.completion.suggestion_cache import SuggestionCache  # noqa: E402
from coder.workspace import Workspace  # noqa: E402


def sample_files() -> list[Path]:
    import json as json_module
    import platformdirs
    import pathspec

    roots = [Path(platformdirs.__file__).parent / "unix.py", Path(pathspec.__file__).parent / "pathspec.py",
             Path(json_module.__file__).parent / "decoder.py", Path(json_module.__file__).parent / "encoder.py"]
    return [path for path in roots if path.is_file()]


def position(text: str) -> tuple[int, int]:
    """A cursor on the line after the middle of the file, at its end (a new line being typed)."""
    lines = text.split("\n")
    line = len(lines) // 2
    return line, len(lines[line])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="GGUF path (default: the completion model coder resolves)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--idle", type=float, default=0.0, help="seconds between opening and the first request")
    args = parser.parse_args()
    files = sample_files()
    results: dict[str, list[tuple[float, int]]] = {"cold": [], "warm": []}
    with Workspace.open(files[0], explicit_model=args.model, overrides={"completion": {"context": "local"}}) as ws:
        engine = ws.engine
        for round_number in range(args.rounds):
            for side in ("cold", "warm") if round_number % 2 == 0 else ("warm", "cold"):
                path = files[(2 * round_number + (side == "warm")) % len(files)]
                text = path.read_text()
                line, column = position(text)
                request = ws.completion_request(str(path), text, line, column, context="local")
                if side == "warm":
                    warming = engine.warm(request)
                    if args.idle:
                        time.sleep(args.idle)
                    else:
                        warming.text()
                engine.cache = SuggestionCache()  # a first request, not a typed-ahead hit
                started = time.perf_counter()
                suggestion = engine.complete(request)
                results[side].append(((time.perf_counter() - started) * 1000, suggestion.tokens.get("evaluated", 0)))
        model = ws.backend.info().name
    print(f"model {model}, {args.rounds} rounds, files: {', '.join(p.name for p in files)}")
    for side, rows in results.items():
        times = [t for t, _ in rows]
        print(f"{side:5} first completion ms: median {statistics.median(times):.0f} max {max(times):.0f}; "
              f"tokens evaluated median {statistics.median(e for _, e in rows):.0f}")


if __name__ == "__main__":
    main()
