"""Screenshots of the TUI's main screens at a fixed size (pytest-textual-snapshot).

Both models are scripted so the pictures hold still; after a deliberate change of
the layout, look at the new pictures and accept them with --snapshot-update."""

from __future__ import annotations

import pytest

from coder.workspace import Workspace
from support.sample_repo import make_sample_repo
from support.scripted_backend import ScriptedBackend
from support.tui_pilot import no_blink, wait_for
from tui.app import CoderApp

SIZE = (130, 36)
ANSWER = "`summary()` makes a **Circle** and a **Square** and describes the one with the larger area."


@pytest.fixture
def app(tmp_path):
    repo = make_sample_repo(tmp_path / "sample")
    completion = ScriptedBackend([], completion_reply="total / len(values)", name="scripted-completion")
    chat = ScriptedBackend([ANSWER], name="scripted-chat")
    workspace = Workspace.open(repo, backend=completion, chat_backend=chat)
    yield CoderApp(workspace, open_path=repo / "report.py")
    workspace.close()


async def settled(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.main_screen is not None and app.main_screen.files, what="the files")
    await wait_for(pilot, lambda: "defs" in app.main_screen.status.index_state, what="the index")
    await wait_for(pilot, lambda: "scripted" in app.main_screen.status.model, what="the model")
    no_blink(app)


def fixed_figures(app) -> None:
    """Timings differ from run to run; the pictures check the layout around them."""
    status = app.main_screen.status
    status.latency_ms, status.tokens_per_second = 120.0, 25.0


def test_main_screen_with_a_completion_and_an_answer(app, snap_compare):
    async def run_before(pilot):
        await settled(pilot)
        screen = app.main_screen
        editor = screen.tabs.current
        editor.move_cursor((16, len("    return describe(largest(shapes))")))
        await pilot.press("ctrl+l")
        await pilot.press(*"what does summary return?", "enter")
        await wait_for(pilot, lambda: not screen.ask_panel.answering and screen.ask_panel.answer_text, what="the answer")
        editor.focus()
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: editor.ghost, what="the completion")
        no_blink(app)
        fixed_figures(app)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(app, snap_compare):
    async def run_before(pilot):
        await settled(pilot)
        fixed_figures(app)
        await pilot.press("f1")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_unsaved_changes_prompt(app, snap_compare):
    async def run_before(pilot):
        await settled(pilot)
        editor = app.main_screen.tabs.current
        await pilot.press("x")
        await wait_for(pilot, lambda: editor.ghost, what="the completion after the pause")
        fixed_figures(app)
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
