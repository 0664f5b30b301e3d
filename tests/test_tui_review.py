"""The TUI's review screen on a staged change in a real git repository: the staged
diff with the findings inline, Enter on a finding opens its file at that line, r
reviews again, l shows the previous result from the history store.

The mechanics use a scripted model (its reply must be known); one test runs the real
default model (Qwen2.5-Coder-0.5B-Instruct) and relies on the sure check for the
finding it must show (a call of a name defined nowhere), whatever the model says."""

from __future__ import annotations

import json

import pytest

from coder.workspace import Workspace
from support.scripted_backend import ScriptedBackend
from support.tui_pilot import wait_for
from tests.review.git_repo import commit_all, fingerprint, git, new_repo, write
from tui.app import CoderApp
from tui.screens.review_screen import ReviewScreen

pytestmark = pytest.mark.asyncio
SIZE = (140, 40)

BEFORE = '''"""Prices."""


def total(prices):
    """The sum of a list of prices."""
    result = 0
    for i in range(len(prices)):
        result += prices[i]
    return result


def cheapest(prices):
    return min(prices)
'''
AFTER = (BEFORE.replace("range(len(prices))", "range(len(prices) + 1)")
         .replace("    return min(prices)", "    return lowest_of(prices)"))
OFF_BY_ONE = 7  # the lines the change touched (1-based)
UNDEFINED = 13


def model_reply(line=OFF_BY_ONE, quote="for i in range(len(prices) + 1):", message="reads past the end of `prices`"):
    return json.dumps({"findings": [{"line": line, "severity": "error", "quote": quote, "message": message}]})


def staged_repo(tmp_path):
    root = new_repo(tmp_path / "shop")
    write(root, "prices.py", BEFORE)
    commit_all(root)
    write(root, "prices.py", AFTER)
    git(root, "add", "prices.py")
    return root


def open_app(root, chat):
    workspace = Workspace.open(root, backend=ScriptedBackend([]), chat_backend=chat,
                               overrides={"review": {"confidence": "off"}})
    return workspace, CoderApp(workspace)


async def reviewed(pilot, app) -> ReviewScreen:
    await wait_for(pilot, lambda: app.main_screen is not None and app.main_screen.files, what="the file list")
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.result is not None and not screen.reviewing, timeout_s=240,
                   what="the review")
    return screen


def shown_lines(screen) -> list[str]:
    return [str(option.prompt) for option in screen.diff.options]


async def test_the_staged_diff_shows_the_findings_under_their_lines_and_enter_opens_the_file_there(tmp_path):
    root = staged_repo(tmp_path)
    untouched = fingerprint(root)
    said = {"message": "reads past the end of `prices`"}

    def reply(request) -> str:  # one review unit per changed function: only total's has the bug
        prompt = request.messages[-1].content
        return model_reply(message=said["message"]) if "len(prices) + 1" in prompt else json.dumps({"findings": []})

    chat = ScriptedBackend(reply)
    workspace, app = open_app(root, chat)
    with workspace:
        async with app.run_test(size=SIZE) as pilot:
            screen = await reviewed(pilot, app)
            found = {(f.line, f.source) for f in screen.result.findings}
            assert found == {(OFF_BY_ONE, "model"), (UNDEFINED, "undefined-name")}
            lines = shown_lines(screen)
            changed = next(i for i, text in enumerate(lines) if "7 + " in text and "len(prices) + 1" in text)
            assert lines[changed - 3].split() == ["-", "for", "i", "in", "range(len(prices)):"]  # the removed line
            assert "reads past the end" in lines[changed + 1]  # the finding right under its line
            assert any("lowest_of" in text and "undefined" in text.lower() for text in lines)
            # Up and down go from finding to finding only; Enter opens the second one.
            assert screen.diff.current_finding.line == OFF_BY_ONE
            await pilot.press("down")
            assert screen.diff.current_finding.line == UNDEFINED
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is app.main_screen, what="the editor")
            editor = app.main_screen.tabs.current
            assert editor.path == "prices.py" and editor.cursor_location[0] == UNDEFINED - 1
            assert editor.has_focus
            assert fingerprint(root) == untouched  # the review touched neither the index nor the files
            # Again: r reviews anew (the model says something else), l shows the stored result.
            calls = len(chat.chat_requests)
            said["message"] = "the loop goes one past the end"
            await pilot.press("f4")
            await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review screen")
            screen = app.screen
            await wait_for(pilot, lambda: screen.result is not None and not screen.reviewing, what="the review")
            assert any("one past the end" in text for text in shown_lines(screen))
            assert len(chat.chat_requests) > calls
            said["message"] = "an index error on the last round"
            await pilot.press("r")
            await wait_for(pilot, lambda: any("last round" in text for text in shown_lines(screen)),
                           what="the review run again")
            calls = len(chat.chat_requests)
            screen.result = None
            await pilot.press("l")
            await wait_for(pilot, lambda: screen.result is not None, what="the previous result")
            assert len(chat.chat_requests) == calls  # no model call
            assert "previous review" in str(screen.query_one("#review-title").render())
            lines = shown_lines(screen)
            assert any("last round" in text for text in lines)
            assert any("for i in range(len(prices) + 1):" in text for text in lines)  # the line, from the file
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.main_screen, what="the editor")


async def test_nothing_staged_says_so(tmp_path):
    root = new_repo(tmp_path / "clean")
    write(root, "prices.py", BEFORE)
    commit_all(root)
    workspace, app = open_app(root, ScriptedBackend([]))
    with workspace:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.main_screen is not None and app.main_screen.files, what="files")
            await pilot.press("f4")
            await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review screen")
            title = app.screen.query_one("#review-title")
            await wait_for(pilot, lambda: "nothing is staged" in str(title.render()), what="the message")


@pytest.mark.model
async def test_the_real_model_reviews_a_staged_change_in_the_tui(tmp_path, qwen_model):
    from coder.models.llama_backend import LlamaWorkerBackend

    root = staged_repo(tmp_path)
    with LlamaWorkerBackend(qwen_model, n_ctx=4096) as model:
        workspace, app = open_app(root, model)
        with workspace:
            async with app.run_test(size=SIZE) as pilot:
                screen = await reviewed(pilot, app)
                result = screen.result
                assert result.model and result.model_error is None and not result.timed_out
                changed = {OFF_BY_ONE, UNDEFINED}
                assert all(f.line in changed for f in result.findings)  # only on what the change touched
                assert (UNDEFINED, "undefined-name") in {(f.line, f.source) for f in result.findings}
                assert len(screen.diff.findings) == len(result.findings)
                while screen.diff.current_finding.line != UNDEFINED:
                    await pilot.press("down")
                await pilot.press("enter")
                await wait_for(pilot, lambda: app.screen is app.main_screen, what="the editor")
                assert app.main_screen.tabs.current.cursor_location[0] == UNDEFINED - 1
