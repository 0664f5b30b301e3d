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


async def wait_for_notice(pilot, text: str, *, severity: str | None = None, timeout_s: float = 10.0) -> None:
    """A notification is a message to the app, handled some time after the code that
    sent it: wait for it rather than look at once."""
    app = pilot.app
    await wait_for(pilot, lambda: any(text in n.message and severity in (None, n.severity) for n in app._notifications),
                   timeout_s=timeout_s, what=f"a notification saying {text!r}")
