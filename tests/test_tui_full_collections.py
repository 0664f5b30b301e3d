"""The TUI's full garbage collections: held off Python's schedule while the app runs
and run by the app in a pause of the user's input (tui/long_lived.py)."""

from __future__ import annotations

import gc

import pytest

from coder.workspace import Workspace
from support.sample_repo import make_sample_repo
from support.scripted_backend import ScriptedBackend
from support.tui_pilot import wait_for
from tui import long_lived
from tui.app import CoderApp


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def collector(due: int):
    clock, passes = Clock(), []
    full = long_lived.FullCollections(clock=clock, collect=passes.append, due=lambda: due)
    return full, clock, passes


def test_a_due_pass_waits_for_a_pause_in_the_input():
    full, clock, passes = collector(due=long_lived.DUE_AFTER)
    full.input_seen()
    clock.now += long_lived.IDLE_S / 2
    assert not full.tick() and passes == []  # the user is typing
    full.input_seen()
    clock.now += long_lived.IDLE_S / 2
    assert not full.tick() and passes == []
    clock.now += long_lived.IDLE_S
    assert full.tick() and passes == [2]


def test_nothing_runs_when_no_pass_is_due():
    full, clock, passes = collector(due=long_lived.DUE_AFTER - 1)
    clock.now += 10 * long_lived.IDLE_S
    assert not full.tick() and passes == []


def test_steady_typing_still_gets_a_pass_at_the_longest_interval():
    full, clock, passes = collector(due=long_lived.DUE_AFTER)
    for _ in range(int(long_lived.AT_MOST_S / 0.2) - 1):  # a key every 200 ms, never a pause
        clock.now += 0.2
        full.input_seen()
        full.tick()
    assert passes == []
    clock.now += 0.4
    full.input_seen()
    assert full.tick() and passes == [2]
    clock.now += 0.2
    full.input_seen()
    assert not full.tick() and passes == [2]  # the interval starts again from that pass


def test_held_means_python_runs_no_full_pass_of_its_own_and_release_restores_it():
    before = gc.get_threshold()
    seen: list[int] = []

    def note(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    clock = Clock()
    full = long_lived.FullCollections(clock=clock)  # Python's own gc.collect and counts
    gc.callbacks.append(note)
    try:
        full.hold()
        assert gc.get_threshold() == (before[0], before[1], long_lived.HELD)
        for _ in range(200_000):  # survivors enough for Python to want several full passes
            cycle = []
            cycle.append(cycle)
        assert 2 not in seen and 0 in seen  # young passes go on as usual
        assert gc.get_count()[2] >= long_lived.DUE_AFTER
        assert not full.tick()  # made just now: as if a key had come
        clock.now += long_lived.IDLE_S
        assert full.tick()  # a pause: the due pass runs
        assert 2 in seen and gc.get_count()[2] == 0
    finally:
        gc.callbacks.remove(note)
        full.release()
    assert gc.get_threshold() == before


@pytest.mark.asyncio
async def test_the_app_holds_full_passes_while_it_runs_notes_keys_and_gives_them_back(tmp_path):
    before = gc.get_threshold()
    repo = make_sample_repo(tmp_path / "sample")
    with Workspace.open(repo, backend=ScriptedBackend([], completion_reply=""),
                        chat_backend=ScriptedBackend([""])) as workspace:
        app = CoderApp(workspace)
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, lambda: app.main_screen is not None and app.main_screen.files, what="the file list")
            assert gc.get_threshold()[2] == long_lived.HELD
            quiet_since = app.full_collections.last_input
            await pilot.press("down")
            assert app.full_collections.last_input > quiet_since
    assert gc.get_threshold() == before
