"""The TUI's responsiveness: start-up in a large repository, key presses while the
model works, memory with the default models loaded.

    .venv/bin/python bench/bench_tui.py [--files 2000] [--keys 30] [--skip-terminal] [--startup-only]
                                        [--ask-context-tokens 1024]

- start-up: a generated repository of --files Python files (a git work tree). Headless
  (Textual's test driver, in process): from creating the app to the main screen
  mounted with the file tree filled, and to the background index being ready. In a
  real terminal (tmux, a new `coder tui` process): from launch to the tree on screen.
- key press to screen update: while an answer streams from the real chat model and
  while a completion is generating, --keys characters are typed into the editor one
  at a time; each is timed from the key event entering the app (as the terminal
  driver hands it over) to the first frame composed after the editor applied it.
- memory: resident set of the app and of its model worker processes once the
  default (completion) model has answered, and again once the chat model has too.
Prints one line per figure, with its target (start-up to an interactive screen under
1.5 s, key press to screen update under 50 ms); record them with the machine load.
--ask-context-tokens bounds the answer's prompt so its first words come within a
minute or two on a CPU (the setting's default, 3,072, takes minutes on the 1.5B at
load); the answer streams long enough either way to type --keys into it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from coder.workspace import Workspace  # noqa: E402
from tui.app import CoderApp  # noqa: E402

MODULE = '''"""Generated module {n}."""

from pkg{parent}.mod{parent_n} import Helper{parent_n}


class Helper{n}:
    def __init__(self, size):
        self.size = size

    def scaled(self, factor):
        return Helper{n}(self.size * factor)


def build_{n}(values):
    total = 0
    for value in values:
        total += Helper{parent_n}(value).size
    return Helper{n}(total)
'''


def make_repo(root: Path, files: int) -> Path:
    for n in range(files):
        folder = root / f"pkg{n // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        parent_n = max(0, n - 1)
        (folder / f"mod{n}.py").write_text(MODULE.format(n=n, parent=parent_n // 100, parent_n=parent_n))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


STARTUP_TARGET_MS = 1500
KEY_TARGET_MS = 50


def verdict(value: float, target: float) -> str:
    return f"(target < {target:g}: {'met' if value < target else 'MISSED'})"


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    return children + [d for child in children for d in descendants(child)]


async def wait_for(pilot, condition, timeout_s=600.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        await pilot.pause(0.01)


async def startup(repo: Path) -> None:
    started = time.perf_counter()
    with Workspace.open(repo) as workspace:
        app = CoderApp(workspace)
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, lambda: app.main_screen is not None and app.main_screen.is_mounted)
            mounted = time.perf_counter()
            await wait_for(pilot, lambda: app.main_screen.files)
            tree = time.perf_counter()
            await wait_for(pilot, lambda: "defs" in app.main_screen.status.index_state)
            indexed = time.perf_counter()
            print(f"start-up headless ({len(app.main_screen.files)} files): main screen {1000 * (mounted - started):.0f} ms, "
                  f"tree filled {1000 * (tree - started):.0f} ms {verdict(1000 * (tree - started), STARTUP_TARGET_MS)}, "
                  f"index ready {indexed - started:.1f} s (background)")


def startup_in_terminal(repo: Path) -> None:
    from support.tmux_session import TmuxSession, terminal_env

    started = time.perf_counter()
    session = TmuxSession([sys.executable, "-m", "coder", "tui", "."], cwd=repo, env=terminal_env())
    try:
        session.wait_for(lambda s: "pkg0/" in s and "pkg19/" in s, timeout_s=120)
        shown = time.perf_counter()
        shown_ms = 1000 * (shown - started)
        print(f"start-up in tmux (new process, imports included): tree on screen {shown_ms:.0f} ms "
              f"{verdict(shown_ms, STARTUP_TARGET_MS)}")
    finally:
        session.close()


async def typing_while_generating(repo: Path, keys: int, ask_context_tokens: int) -> None:
    with Workspace.open(repo, overrides={"ask": {"context_tokens": ask_context_tokens}}) as workspace:
        app = CoderApp(workspace, open_path=repo / "pkg0" / "mod5.py")
        async with app.run_test(size=(140, 40)) as pilot:
            screen = app.main_screen
            await wait_for(pilot, lambda: screen.tabs.current is not None and "defs" in screen.status.index_state)
            await wait_for(pilot, lambda: "completion" in screen.models, timeout_s=600)
            editor = screen.tabs.current
            editor.action_complete_now()  # the completion model answers once: its weights are paged in
            await wait_for(pilot, lambda: screen.status.latency_ms is not None, timeout_s=600)
            print(f"memory with the default (completion) model loaded: app {rss_kb(os.getpid()) / 1024:.0f} MB, "
                  f"model worker {sum(rss_kb(pid) for pid in descendants(os.getpid())) / 1024:.0f} MB "
                  f"({screen.models['completion']})")
            # Completions and answers in flight: a completion asked for at every key
            # (the pause is shorter than typing), and a long answer streaming.
            editor.move_cursor((editor.document.line_count - 1, 0))
            await pilot.press("ctrl+l")
            await pilot.press(*"Explain every function in this file in detail.", "enter")
            await wait_for(pilot, lambda: len(screen.ask_panel.answer_text) > 20, timeout_s=600)
            editor.focus()
            answer_times, answer_cpu, answer_gc = await _type(pilot, editor, keys, lambda: screen.ask_panel.answering)
            chat_pid_rss = sum(rss_kb(pid) for pid in descendants(os.getpid()))  # both models in memory
            screen.action_stop()  # the rest of the answer measures nothing
            await wait_for(pilot, lambda: not screen.ask_panel.answering, timeout_s=600)
            editor.action_complete_now()
            completion_times, completion_cpu, completion_gc = await _type(pilot, editor, keys, lambda: True, complete_each=True)
            _report("while an answer streams", answer_times, answer_cpu, answer_gc)
            _report("while completions generate", completion_times, completion_cpu, completion_gc)
            own = rss_kb(os.getpid())
            workers = sum(rss_kb(pid) for pid in descendants(os.getpid()))
            print(f"memory: app {own / 1024:.0f} MB, model workers {max(workers, chat_pid_rss) / 1024:.0f} MB "
                  f"({', '.join(f'{role} {name}' for role, name in screen.models.items())})")


frame_cpu: dict[float, float] = {}  # a frame's perf_counter -> the event loop thread's CPU time then


def _clock_frames_and_edits(app, editor) -> tuple[list[float], list[float]]:
    """Times (perf_counter) of each frame the app renders and of each edit the editor
    applies. Headless, a frame is composed and handed to ``App._display``, which only
    skips the terminal write, so its call is when the screen would show the key."""
    frames: list[float] = []
    edits: list[float] = []
    display, edit = app._display, editor.edit

    def timed_display(screen, renderable):
        display(screen, renderable)
        if renderable is not None:
            frames.append(time.perf_counter())
            frame_cpu[frames[-1]] = time.thread_time()

    def timed_edit(change):
        result = edit(change)
        edits.append(time.perf_counter())
        return result

    app._display, editor.edit = timed_display, timed_edit
    return frames, edits


async def _type(pilot, editor, keys: int, still, complete_each: bool = False) -> tuple[list, list, list]:
    """ms from each key entering the app (as a terminal's input would) to the first
    frame rendered after the editor applied it. Not pilot.press: it waits until the
    process has been idle for a 20 ms slice, twice, which measures the pilot (62 ms
    a key on a bare TextArea here) and any background work, not the key. With each
    key, the CPU time the event loop's thread spent in that interval: where it is far
    below the wall time, the key waited (for the GIL, for the cores), not for work."""
    from textual import events

    app = pilot.app
    frames, edits = _clock_frames_and_edits(app, editor)
    times, cpu = [], []
    gc_pauses.clear()
    gc.callbacks.append(_time_collections)
    for n in range(keys):
        if not still():
            break
        if complete_each:
            editor.action_complete_now()
        key, character = ("a", "a") if n % 2 == 0 else ("space", " ")
        event = events.Key(key, character)
        event.set_sender(app)
        edits_before = len(edits)
        started, started_cpu = time.perf_counter(), time.thread_time()
        app._driver.send_message(event)
        shown = None
        while shown is None and time.perf_counter() - started < 5.0:
            await asyncio.sleep(0.0005)
            if len(edits) > edits_before:
                shown = next((t for t in frames if t >= edits[edits_before]), None)
        if shown is None:
            raise SystemExit(f"key {n}: no frame within 5 s of the key")
        times.append(1000 * (shown - started))
        cpu.append(1000 * (frame_cpu[shown] - started_cpu))
        await asyncio.sleep(0.08)  # a fast typist
    gc.callbacks.remove(_time_collections)
    return times, cpu, list(gc_pauses)


gc_pauses: list[tuple[int, float]] = []  # (generation, ms) of each collection while keys are typed
_collection_started = [0.0]


def _time_collections(phase: str, info: dict) -> None:
    if phase == "start":
        _collection_started[0] = time.perf_counter()
    else:
        gc_pauses.append((info["generation"], 1000 * (time.perf_counter() - _collection_started[0])))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _report(label: str, times: list[float], cpu: list[float], pauses: list[tuple[int, float]]) -> None:
    if not times:
        print(f"key press {label}: no keys (it ended first)")
        return
    p95 = _p95(times)
    print(f"key press to screen update {label}: median {statistics.median(times):.1f} ms, "
          f"p95 {p95:.1f} ms {verdict(p95, KEY_TARGET_MS)}, max {max(times):.1f} ms ({len(times)} keys)")
    full = [ms for generation, ms in pauses if generation == 2]
    young = [ms for generation, ms in pauses if generation < 2]
    print(f"  garbage collections meanwhile: {len(full)} full, longest {max(full, default=0):.1f} ms; "
          f"{len(young)} young, longest {max(young, default=0):.1f} ms")
    slow = [c for t, c in zip(times, cpu) if t >= p95]
    print(f"  event loop CPU in those intervals: median {statistics.median(cpu):.1f} ms, p95 {_p95(cpu):.1f} ms; "
          f"in the keys at or over the p95: {', '.join(f'{c:.0f}' for c in slow)} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--skip-terminal", action="store_true")
    parser.add_argument("--startup-only", action="store_true")
    parser.add_argument("--ask-context-tokens", type=int, default=1024,
                        help="the answer's context budget ([ask] context_tokens; default 1024 here)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each figure shows as it is measured, even through a pipe
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        repo = make_repo(Path(folder) / "big", args.files)
        asyncio.run(startup(repo))
        if not args.skip_terminal and shutil.which("tmux"):
            startup_in_terminal(repo)
        if not args.startup_only:
            asyncio.run(typing_while_generating(repo, args.keys, args.ask_context_tokens))


if __name__ == "__main__":
    main()
