"""Helpers for driving the TUI in tests: wait for a condition while the app runs."""

from __future__ import annotations

import time


async def wait_for(pilot, condition, *, timeout_s: float = 30.0, what: str = "condition") -> None:
    """Let the app run until condition() holds; fail naming what did not happen."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await pilot.pause(0.05)


def no_blink(app) -> None:
    """Cursor blink makes screenshots differ from run to run."""
    from tui.widgets.code_editor import CodeEditor

    for editor in app.query(CodeEditor):
        editor.cursor_blink = False
