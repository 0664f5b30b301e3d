"""The TUI's runs, driven with Textual's pilot: a fix run of the function at the
cursor whose candidates are tested for real in the sandbox, the rounds appearing as
they come, one hunk accepted and one rejected, only the accepted one written; an
optimize run with its speedup chart; the earlier runs from the store.

The model's replies are scripted (the outcome must be known); the tests, the sandbox,
the timings, the history store and the file writes are real."""

from __future__ import annotations

import sys

import pytest

from coder.loops.sandbox import Limits, bubblewrap_problem
from coder.loops.session import LoopOptions
from coder.workspace import Workspace
from support.run_repos import project_repo
from support.scripted_backend import ScriptedBackend
from support.tui_pilot import wait_for, wait_for_notice
from tui.app import CoderApp
from tui.commands import palette_actions
from tui.keys import all_keys
from tui.screens.run_screen import RunScreen
from tui.screens.runs_screen import RunsScreen

pytestmark = [pytest.mark.asyncio,
              pytest.mark.skipif(bubblewrap_problem() is not None, reason=str(bubblewrap_problem()))]
SIZE = (150, 44)
QUICK = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}

WRONG = '''```python
def order_total(prices, quantities, discount):
    """The total of an order."""
    total = 0
    for price in prices:
        total += price
    if discount:
        total = total * (1 - discount)
    return round(total, 2)
```'''
# Right, and also a reworded docstring: two hunks, far enough apart to be separate.
RIGHT = '''The prices must be multiplied by the quantities:
```python
def order_total(prices, quantities, discount):
    """The total of an order: each price times its quantity, less the discount (if any).

    The discount is a fraction from 0 to 1 and applies to the whole order, once;
    the total is rounded to cents, as the till shows it.
    """
    if len(prices) != len(quantities):
        raise ValueError("one quantity per price")
    if discount < 0 or discount > 1:
        raise ValueError("the discount is a fraction from 0 to 1")
    total = 0
    for price, quantity in zip(prices, quantities):
        total += price * quantity
    if discount:
        total = total * (1 - discount)
    return round(total, 2)
```'''
FASTER = '''```python
def dedupe(items):
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result
```'''


def run_app(workspace, open_path) -> CoderApp:
    app = CoderApp(workspace, open_path=open_path)
    app.loop_options = LoopOptions(rounds=3, python=sys.executable, env=QUICK, limits=Limits(wall_s=60.0))
    return app


async def ready(pilot, app):
    await wait_for(pilot, lambda: app.main_screen is not None and app.main_screen.files, what="the file list")
    await wait_for(pilot, lambda: app.main_screen.tabs.current is not None, what="the editor")


async def test_a_fix_run_is_watched_live_and_only_the_accepted_hunk_is_written(tmp_path):
    repo = project_repo("orders", tmp_path / "orders")
    original = (repo / "orders.py").read_text()
    fixed_only = original.replace("price + quantity", "price * quantity")
    # Slow pieces: the second candidate takes a second or two, so the first is seen before the end.
    chat = ScriptedBackend([WRONG, RIGHT], piece_chars=8, delay_s=0.02)
    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=chat) as workspace:
        app = run_app(workspace, repo / "orders.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            editor = app.main_screen.tabs.current
            editor.move_cursor((15, 10))  # inside order_total
            await pilot.press("f5")
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="the run screen")
            screen = app.screen
            assert screen.spec == "orders.py::order_total"
            await wait_for(pilot, lambda: screen.rounds.rows_by_key.get("1.1") and
                           screen.rounds.rows_by_key["1.1"].status == "failed", timeout_s=60, what="round 1")
            assert screen.result is None  # seen live, while the run goes on
            first = screen.rounds.rows_by_key["1.1"]
            assert first.tests == "0 passed, 3 failed"  # the project's tests really ran
            assert "-        total += price + quantity" in first.diff
            await wait_for(pilot, lambda: screen.settled, timeout_s=90, what="the end of the run")
            assert screen.result.outcome == "fixed"
            second = screen.rounds.rows_by_key["2.1"]
            assert second.tests == "3 passed, 0 failed" and second.seconds is not None
            assert screen.rounds.get_row("2.1")[:2] == ["2.1", "passed ★"]
            assert (repo / "orders.py").read_text() == original  # nothing written before accepting
            items = screen.picker.items
            assert len(items) == 2 and all(i.tests == "3 passed, 0 failed" for i in items)
            assert "(if any)" in items[0].text and "price * quantity" in items[1].text
            await pilot.press("w")  # nothing accepted yet: nothing written
            assert (repo / "orders.py").read_text() == original
            await pilot.press("r", "a")  # reject the docstring, accept the fix
            assert [i.decision for i in items] == ["rejected", "accepted"]
            await pilot.press("w")
            assert (repo / "orders.py").read_text() == fixed_only
            assert editor.text == fixed_only and not editor.modified  # the open buffer follows
            await wait_for(pilot, lambda: "pass (" in screen.kept_test, timeout_s=60, what="the tests on it")
            assert "3 passed, 0 failed" in screen.kept_test
            run_id = screen.result.run_id
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen again")
            await pilot.press("f3")
            await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), what="the earlier runs")
            history = app.screen
            assert history.runs[0]["id"] == run_id and history.runs[0]["outcome"] == "fixed"
            await pilot.pause(0.2)
            detail = str(history.query_one("#runs-detail").render())
            assert "1.1 scripted: failed" in detail and "2.1 scripted: passed" in detail and "← best" in detail


async def test_an_optimize_run_charts_the_best_speedup_per_round(tmp_path):
    repo = project_repo("slow", tmp_path / "slow")
    chat = ScriptedBackend([FASTER])
    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=chat) as workspace:
        app = run_app(workspace, repo / "textutil.py")
        app.loop_options.rounds = 1
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            app.main_screen.tabs.current.move_cursor((6, 4))  # inside dedupe
            await pilot.press("f8")
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="the run screen")
            screen = app.screen
            await wait_for(pilot, lambda: screen.settled, timeout_s=180, what="the end of the run")
            assert screen.result.outcome == "optimized"
            row = screen.rounds.rows_by_key["1.1"]
            assert row.status == "faster" and row.speedup > 2
            chart = screen.query_one("#chart")
            assert chart.values[1] == pytest.approx(row.speedup)
            assert "best speedup per round" in chart.plain and f"{row.speedup:.2f}x" in chart.plain
            assert "█" in chart.plain
            assert "best" in str(screen.query_one("#run-title").render())


async def test_a_fix_run_on_passing_tests_ends_with_one_clear_line(tmp_path):
    repo = project_repo("slow", tmp_path / "slow")
    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=ScriptedBackend([])) as workspace:
        app = run_app(workspace, repo / "textutil.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            app.main_screen.tabs.current.move_cursor((6, 4))
            await pilot.press("f5")
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="the run screen")
            screen = app.screen
            title = screen.query_one("#run-title")
            await wait_for(pilot, lambda: "failed:" in str(title.render()), timeout_s=60, what="the failure")
            assert "pass" in str(title.render())  # nothing to fix: the tests pass
            assert screen.result is None and not screen.running
            # A notification is a message to the app, handled after the title's update.
            await wait_for_notice(pilot, "", severity="error")
            await pilot.press("w")  # nothing to apply
            await wait_for_notice(pilot, "ended without a candidate")


async def test_the_cursor_outside_a_function_starts_nothing(tmp_path):
    repo = project_repo("orders", tmp_path / "orders")
    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=ScriptedBackend([])) as workspace:
        app = run_app(workspace, repo / "orders.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            app.main_screen.tabs.current.move_cursor((0, 0))
            await pilot.press("f5")
            await pilot.pause(0.2)
            assert not isinstance(app.screen, RunScreen)
            await wait_for_notice(pilot, "not in a function")


async def test_the_palette_and_the_help_list_the_run_and_review_actions():
    main = {title for title, _, _ in palette_actions("MainScreen")}
    assert {"Fix the function at the cursor (fix loop over its tests)", "Review the staged change",
            "Earlier fix and optimize runs"} <= main
    run = {action for _, action, _ in palette_actions("RunScreen")}
    assert {"screen.accept_hunk", "screen.apply", "screen.test_kept", "app.help"} <= run
    assert "screen.fix" not in run  # the main screen's actions are not offered where they cannot run
    described = {k.description for k in all_keys()}
    assert "Run: apply the accepted hunks to the file" in described and "Review: run the review again" in described
