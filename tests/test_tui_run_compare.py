"""The TUI's runs beyond one screen: two candidates compared side by side and unified,
a run left while it goes on and come back to once it is over, the quit prompt while
a run is live, and a run escalated to the larger model showing which model solved it.

The models are scripted (the outcome must be known); the tests in the sandbox, the
history store and the timings are real."""

from __future__ import annotations

import pytest

from coder.loops.sandbox import bubblewrap_problem
from coder.loops.session import Candidate
from coder.workspace import Workspace
from support.run_repos import project_repo
from support.scripted_backend import ScriptedBackend
from support.tui_pilot import wait_for, wait_for_notice
from test_tui_runs import RIGHT, SIZE, WRONG, ready, run_app
from tui.commands import palette_actions
from tui.keys import all_keys
from tui.screens.compare_screen import CompareScreen
from tui.screens.quit_screen import QuitScreen
from tui.screens.run_screen import RunScreen, candidate_facts
from tui.widgets.candidate_compare import SIDE_BY_SIDE, UNIFIED, Side, facing_rows, unified

needs_sandbox = pytest.mark.skipif(bubblewrap_problem() is not None, reason=str(bubblewrap_problem()))


async def start_fix(pilot, app):
    await ready(pilot, app)
    app.main_screen.tabs.current.move_cursor((15, 10))  # inside order_total
    await pilot.press("f5")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="the run screen")
    return app.screen


@needs_sandbox
@pytest.mark.asyncio
async def test_two_candidates_are_compared_side_by_side_and_unified(tmp_path):
    repo = project_repo("orders", tmp_path / "orders")
    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=ScriptedBackend([WRONG, RIGHT])) as workspace:
        app = run_app(workspace, repo / "orders.py")
        async with app.run_test(size=SIZE) as pilot:
            screen = await start_fix(pilot, app)
            await pilot.press("c")  # too early: the candidates are not all there
            await wait_for(pilot, lambda: screen.settled, timeout_s=90, what="the end of the run")
            assert screen.rounds.current_key == "2.1"  # the best is under the cursor
            await pilot.press("c")  # nothing marked: against the original
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="the compare screen")
            compare = app.screen
            assert compare.left.label == "the original" and compare.right.label == "candidate 2.1 (scripted)"
            assert compare.view.mode == SIDE_BY_SIDE
            assert "1 passed, 2 failed" in compare.left.facts  # the baseline's tests
            assert compare.right.facts.startswith("passed; tests 3 passed, 0 failed in ")
            facts = str(compare.query_one("#compare-facts").render())
            assert "▶ candidate 2.1 (scripted): passed" in facts
            rows = facing_rows(compare.left.text, compare.right.text)
            assert ("        total += price + quantity", "        total += price * quantity", "replace") in rows
            await pilot.press("u")
            assert compare.view.mode == UNIFIED and "unified" in str(compare.query_one("#compare-title").render())
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, what="the run screen again")
            await pilot.press("up", "m")  # mark 1.1, then compare 2.1 with it
            assert screen.rounds.marked_key == "1.1" and screen.rounds.get_row("1.1")[0] == "1.1 ◆"
            await pilot.press("down", "c")
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="the compare screen")
            compare = app.screen
            assert compare.view.mode == UNIFIED  # as it was left
            assert compare.left.label == "candidate 1.1 (scripted)"
            assert compare.left.facts.startswith("failed; tests 0 passed, 3 failed")
            shown = unified(compare.left, compare.right).plain
            assert "--- candidate 1.1 (scripted)" in shown and "+++ candidate 2.1 (scripted)" in shown
            assert "-        total += price + quantity" not in shown  # 1.1 kept the bug's line...
            assert "+    for price, quantity in zip(prices, quantities):" in shown  # ...2.1 replaced the loop
            await pilot.press("u")
            assert compare.view.mode == SIDE_BY_SIDE
            await pilot.press("escape")
            assert screen.compare_layout == SIDE_BY_SIDE


def test_the_two_columns_face_changed_lines_and_cut_long_unchanged_runs():
    before = "".join(f"line {n}\n" for n in range(20))
    after = before.replace("line 2\n", "line two\n").replace("line 17\n", "")
    rows = facing_rows(before, after)
    assert ("line 2", "line two", "replace") in rows and ("line 17", "", "delete") in rows
    assert ("⋯", "⋯", "gap") in rows  # lines 6 to 13 are far from both changes
    assert ("line 9", "line 9", "equal") not in rows
    assert facing_rows("same\n", "same\n") == []
    assert unified(Side("a", "x\n", ""), Side("b", "x\n", "")).plain == "the two versions are the same"


def test_an_optimize_candidate_shows_its_speedup_with_the_spread():
    candidate = Candidate(round=1, index=2, model="m", reply="", status="faster",
                          tests={"passed": 4, "failed": 0, "wall_s": 0.8},
                          verdict={"speedup": 3.1, "low": 2.9, "high": 3.4, "candidate_s": 0.0021})
    assert candidate_facts(candidate, 5.0) == ("faster; tests 4 passed, 0 failed in 0.8 s; "
                                               "3.10x (quartiles 2.90-3.40x), 2.1 ms a run; 5.0 s in the run")
    rejected = Candidate(round=1, index=1, model="m", reply="", status="rejected", reason="no code block")
    assert candidate_facts(rejected, None) == "rejected (no code block)"
    anew = Candidate(round=1, index=2, model="m", reply="", status="passed", anew=True,
                     tests={"passed": 4, "failed": 0, "wall_s": 0.8})
    assert candidate_facts(anew, None) == "passed, written anew; tests 4 passed, 0 failed in 0.8 s"


@needs_sandbox
@pytest.mark.asyncio
async def test_a_run_left_while_it_goes_on_finishes_and_is_shown_again(tmp_path):
    repo = project_repo("orders", tmp_path / "orders")
    chat = ScriptedBackend([WRONG, RIGHT], piece_chars=8, delay_s=0.03)  # slow: the run outlasts the screen
    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=chat) as workspace:
        app = run_app(workspace, repo / "orders.py")
        async with app.run_test(size=SIZE) as pilot:
            screen = await start_fix(pilot, app)
            await wait_for(pilot, lambda: "1.1" in screen.rounds.rows_by_key, timeout_s=60, what="round 1")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen")
            assert screen.running and not screen.cancel.is_set  # leaving did not stop it
            assert "fix order_total:" in app.main_screen.status.run_state
            await pilot.press("f5")  # a second run while one goes on is refused
            assert app.screen is app.main_screen
            await wait_for_notice(pilot, "still going")
            await wait_for(pilot, lambda: screen.settled, timeout_s=90, what="the end, while away")
            assert app.screen is app.main_screen
            assert screen.result.outcome == "fixed"
            await wait_for_notice(pilot, "is over: fixed by scripted")
            assert "fix order_total: fixed by scripted" in app.main_screen.status.run_state
            await pilot.press("f9")
            await wait_for(pilot, lambda: app.screen is screen, what="the run screen again")
            assert screen.rounds.get_row("2.1")[:2] == ["2.1", "passed ★"]  # what came while away is there
            assert len(screen.picker.items) == 2  # and its hunks can be decided
            await pilot.press("escape", "f5")  # over: a new run may start, and replaces it
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen is not screen,
                           what="a new run")
            assert not app.is_screen_installed(screen)


@needs_sandbox
@pytest.mark.asyncio
async def test_quitting_while_a_run_goes_on_asks_first_and_stops_it(tmp_path):
    repo = project_repo("orders", tmp_path / "orders")
    chat = ScriptedBackend([WRONG, RIGHT], piece_chars=2, delay_s=0.2)  # minutes: still going when asked
    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=chat) as workspace:
        app = run_app(workspace, repo / "orders.py")
        async with app.run_test(size=SIZE) as pilot:
            screen = await start_fix(pilot, app)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen")
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), what="the quit prompt")
            prompt = app.screen
            assert prompt.runs == ["fix orders.py::order_total"] and not prompt.unsaved
            assert "Still running: fix orders.py::order_total" in str(prompt.query_one("#quit-runs").render())
            await pilot.press("s")  # nothing to save: does nothing
            assert app.screen is prompt
            await pilot.press("escape")  # stay
            await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen")
            assert screen.running
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), what="the quit prompt")
            await pilot.press("d")
            await wait_for(pilot, lambda: screen.cancel.is_set, what="the run stopped")
        assert app.return_code == 0


@needs_sandbox
@pytest.mark.asyncio
async def test_an_escalated_run_says_the_larger_model_solved_it(tmp_path):
    repo = project_repo("orders", tmp_path / "orders")
    small, large = ScriptedBackend([WRONG], name="small"), ScriptedBackend([RIGHT], name="large")
    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=small) as workspace:
        app = run_app(workspace, repo / "orders.py")
        app.loop_options.rounds = 1
        app.escalation_backend = large
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("alt+e")
            assert app.main_screen.escalate and "escalation on" in str(app.main_screen.status.render())
            screen = await start_fix(pilot, app)
            await wait_for(pilot, lambda: screen.settled, timeout_s=90, what="the end of the run")
            assert screen.result.outcome == "fixed" and screen.result.solved_by == "large"
            assert screen.escalated_to == "large"
            assert [c.model for c in screen.result.candidates] == ["small", "large"]
            assert "fixed by large (escalated)" in str(screen.query_one("#run-title").render())
            with workspace.store() as store:
                assert store.loop_runs(1)[0]["solved_by"] == "large"  # the core's record
            await pilot.press("escape", "alt+e")
            assert not app.main_screen.escalate


@pytest.mark.asyncio
async def test_escalation_without_a_configured_model_starts_nothing(tmp_path):
    repo = project_repo("orders", tmp_path / "orders")
    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=ScriptedBackend([])) as workspace:
        app = run_app(workspace, repo / "orders.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("alt+e")
            await wait_for_notice(pilot, "no model is set")
            app.main_screen.tabs.current.move_cursor((15, 10))
            await pilot.press("f5")
            await pilot.pause(0.2)
            assert not isinstance(app.screen, RunScreen)
            await wait_for_notice(pilot, "no model to escalate to")


def test_the_new_keys_are_in_the_palette_and_the_help():
    main = {action for _, action, _ in palette_actions("MainScreen")}
    assert {"screen.back_to_run", "screen.toggle_escalation"} <= main
    run = {action for _, action, _ in palette_actions("RunScreen")}
    assert {"screen.mark", "screen.compare"} <= run
    assert {"screen.toggle_layout", "screen.close"} <= {a for _, a, _ in palette_actions("CompareScreen")}
    keys = {k.key for k in all_keys()}
    assert {"f9", "alt+e", "m", "c", "u"} <= keys
