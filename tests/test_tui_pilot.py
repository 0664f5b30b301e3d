"""The TUI's flows, driven with Textual's pilot: open a file from the tree, type and
accept a completion from the real demo model, ask and watch the answer stream, the
unsaved-changes prompt on quit, a file changed on disk, errors as notifications.

Completions come from the real model (one worker process for the module). The chat
model is scripted here, to pin down the streaming and sources mechanics;
test_tui_real_ask.py asks the real instruct model."""

from __future__ import annotations

import pytest

from coder.errors import BackendError
from coder.models.llama_backend import LlamaWorkerBackend
from coder.workspace import Workspace
from support.sample_repo import make_sample_repo
from support.scripted_backend import ScriptedBackend
from support.tui_pilot import wait_for
from tui.app import CoderApp
from tui.commands import palette_actions
from tui.keys import COMPARE_KEYS, REVIEW_KEYS, RUN_KEYS, all_keys
from tui.screens.compare_screen import CompareScreen
from tui.screens.review_screen import ReviewScreen
from tui.screens.run_screen import RunScreen
from tui.screens.disk_change_screen import DiskChangeScreen
from tui.screens.help_screen import HelpScreen
from tui.screens.quit_screen import QuitScreen
from tui.widgets.file_tree import FileTree

pytestmark = pytest.mark.asyncio
SIZE = (140, 40)


@pytest.fixture(scope="module")
def demo_backend(demo_model):
    with LlamaWorkerBackend(demo_model, n_ctx=2048, n_threads=2) as backend:
        yield backend


@pytest.fixture
def repo(tmp_path):
    return make_sample_repo(tmp_path / "sample")


def scripted_workspace(repo, chat_replies=("",), **chat_options):
    completion = ScriptedBackend([], completion_reply="")
    return Workspace.open(repo, backend=completion, chat_backend=ScriptedBackend(list(chat_replies), **chat_options))


async def ready(pilot, app):
    await wait_for(pilot, lambda: app.main_screen is not None and app.main_screen.files, what="the file list")
    await wait_for(pilot, lambda: "defs" in app.main_screen.status.index_state, what="the index")


async def test_the_tree_lists_the_repository_without_ignored_files_and_opens_one(repo):
    with scripted_workspace(repo) as workspace:
        app = CoderApp(workspace)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            screen = app.main_screen
            assert "build/generated.py" not in screen.files and "debug.log" not in screen.files
            assert {"shapes.py", "report.py", "docs/notes.md"} <= set(screen.files)
            tree = app.screen.query_one(FileTree)
            labels = [str(node.label) for node in tree.root.children]
            assert labels[0] == "docs/" and "build/" not in labels and "report.py" in labels
            tree.focus()
            # The cursor starts on the root; down to docs/, then the first file of the root.
            tree.move_cursor(next(n for n in tree.root.children if n.data == "shapes.py"))
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.tabs.current is not None, what="the editor")
            editor = screen.tabs.current
            assert editor.path == "shapes.py"
            assert editor.text == (repo / "shapes.py").read_text()
            assert editor.language == "python"  # tree-sitter highlighting is on
            assert editor.has_focus
            # A second file opens in a second tab; the first stays open.
            await screen.open_file("docs/notes.md")
            assert [e.path for e in screen.tabs.editors] == ["shapes.py", "docs/notes.md"]


async def test_typing_then_a_pause_shows_a_real_completion_that_tab_accepts(repo, demo_backend):
    with Workspace.open(repo, backend=demo_backend, chat_backend=ScriptedBackend([])) as workspace:
        app = CoderApp(workspace, open_path=repo / "stats.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            screen = app.main_screen
            await wait_for(pilot, lambda: screen.tabs.current is not None, what="the editor")
            editor = screen.tabs.current
            editor.move_cursor((6, len("    return")))
            await pilot.press("space")
            await wait_for(pilot, lambda: editor.ghost != "", timeout_s=60, what="a completion")
            ghost = editor.ghost
            assert editor.suggestion.startswith(ghost.split("\n")[0])  # shown as ghost text
            assert screen.status.latency_ms is not None and "gemma" in screen.status.model.lower()
            # Typing its first character keeps the rest; Tab inserts it.
            await pilot.press(ghost[0] if ghost[0] != " " else "space")
            assert editor.ghost == ghost[1:]
            await pilot.press("tab")
            assert editor.ghost == ""
            assert editor.document[6] == "    return " + ghost.split("\n")[0]
            assert editor.modified


async def test_a_newer_completion_stops_the_generation_of_the_one_it_supersedes(repo, demo_backend):
    overrides = {"completion": {"max_tokens": 256, "multiline": "always"}}
    with Workspace.open(repo, backend=demo_backend, chat_backend=ScriptedBackend([]), overrides=overrides) as workspace:
        finished = []  # what each engine call ended with, in order
        complete = workspace.engine.complete

        def recording(request):
            suggestion = complete(request)
            finished.append(suggestion.tokens)
            return suggestion

        workspace.engine.complete = recording
        app = CoderApp(workspace, open_path=repo / "stats.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            editor = app.main_screen.tabs.current
            editor.move_cursor((editor.document.line_count - 1, 0))
            await pilot.press("ctrl+g")  # 256 tokens to write: seconds of generation
            await wait_for(pilot, lambda: workspace.backend_loaded, what="the model")
            await pilot.pause(0.3)
            await pilot.press("ctrl+g")  # wanted again: the first is superseded
            await wait_for(pilot, lambda: len(finished) == 2, timeout_s=300, what="both completions")
    first, second = finished
    assert first["finish_reason"] == "cancelled" and first["generated"] < 256
    assert second["finish_reason"] != "cancelled"


async def test_escape_dismisses_and_the_key_asks_at_once(repo):
    completion = ScriptedBackend([], completion_reply="total / len(values)")
    with Workspace.open(repo, backend=completion, chat_backend=ScriptedBackend([])) as workspace:
        app = CoderApp(workspace, open_path=repo / "stats.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            editor = app.main_screen.tabs.current
            editor.move_cursor((6, len("    return")))
            await pilot.press("ctrl+g")
            await wait_for(pilot, lambda: editor.ghost == "total / len(values)", what="the completion")
            await pilot.press("escape")
            assert editor.ghost == "" and editor.suggestion == ""
            assert editor.document[6] == "    return"
            # A completion that arrives after the cursor moved is dropped.
            await pilot.press("ctrl+g")
            await pilot.press("up")
            await pilot.pause(0.3)
            assert editor.ghost == ""


async def test_an_answer_streams_into_the_panel_with_clickable_sources(repo):
    answer = "`summary` builds a **Circle** and a **Square** and describes the larger one."
    with scripted_workspace(repo, [answer, "It is 7.07."], piece_chars=4, delay_s=0.1) as workspace:
        app = CoderApp(workspace, open_path=repo / "report.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            screen = app.main_screen
            screen.tabs.current.move_cursor((15, 4))
            await pilot.press("ctrl+l")
            await pilot.press(*"what does summary return?")
            await pilot.press("enter")
            panel = screen.ask_panel
            await wait_for(pilot, lambda: 0 < len(panel.answer_text) < len(answer), what="a partial answer")
            await wait_for(pilot, lambda: not panel.answering and panel.answer_text == answer, what="the answer")
            assert "Circle" in panel.markdown.source and "what does summary return?" in panel.markdown.source
            chat = workspace.chat_backend
            assert "Question about report.py:16" in chat.chat_requests[0].messages[-1].content
            sources = panel.query_one("#ask-sources")
            labels = [str(sources.get_option_at_index(i).prompt) for i in range(sources.option_count)]
            assert any(label.startswith("shapes.py:") and "Circle" in label for label in labels)
            # Choosing a source opens its file at its line.
            sources.focus()
            index = next(i for i, label in enumerate(labels) if "Circle" in label)
            sources.highlighted = index
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.tabs.current.path == "shapes.py", what="the source's file")
            assert screen.tabs.current.cursor_location[0] == int(labels[index].split(":")[1].split("-")[0].split()[0]) - 1
            # A follow-up continues the conversation.
            await pilot.press("ctrl+l")
            await pilot.press(*"and its area?")
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(chat.chat_requests) == 2 and not panel.answering, what="the follow-up")
            assert [m.role for m in chat.chat_requests[1].messages] == ["system", "user", "assistant", "user"]


async def test_quitting_with_unsaved_changes_asks_first(repo):
    original = (repo / "stats.py").read_text()
    with scripted_workspace(repo) as workspace:
        app = CoderApp(workspace, open_path=repo / "stats.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            editor = app.main_screen.tabs.current
            await pilot.press("x")
            assert editor.modified
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), what="the prompt")
            assert app.screen.unsaved == ["stats.py"]
            await pilot.press("escape")  # stay
            await wait_for(pilot, lambda: not isinstance(app.screen, QuitScreen), what="the prompt to close")
            assert app.is_running and editor.text.startswith("x")
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), what="the prompt again")
            await pilot.press("d")  # quit without saving
            await wait_for(pilot, lambda: not app.is_running, what="the app to exit")
    assert (repo / "stats.py").read_text() == original


async def test_save_all_and_quit_writes_the_files(repo):
    with scripted_workspace(repo) as workspace:
        app = CoderApp(workspace, open_path=repo / "stats.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("#", "space")
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), what="the prompt")
            await pilot.press("s")
            await wait_for(pilot, lambda: not app.is_running, what="the app to exit")
    assert (repo / "stats.py").read_text().startswith("# ")


async def test_a_file_changed_on_disk_is_reloaded_or_asked_about(repo):
    with scripted_workspace(repo) as workspace:
        app = CoderApp(workspace, open_path=repo / "stats.py")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            screen = app.main_screen
            editor = screen.tabs.current
            (repo / "stats.py").write_text("changed = 1\n")
            screen.check_disk()
            assert editor.text == "changed = 1\n" and not editor.modified
            await pilot.press("y")  # now an unsaved edit, then another change on disk
            (repo / "stats.py").write_text("changed = 2\n")
            screen.check_disk()
            await wait_for(pilot, lambda: isinstance(app.screen, DiskChangeScreen), what="the question")
            await pilot.press("k")  # keep my edits
            await wait_for(pilot, lambda: not isinstance(app.screen, DiskChangeScreen), what="the question to close")
            assert editor.text.startswith("y") and editor.modified


async def test_a_model_error_is_a_notification_not_a_traceback(repo):
    class Failing(ScriptedBackend):
        def chat(self, request):
            raise BackendError("the model worker stopped (exit code 9); restart coder")

    with Workspace.open(repo, backend=ScriptedBackend([]), chat_backend=Failing([])) as workspace:
        app = CoderApp(workspace)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("ctrl+r")
            await pilot.press(*"why?")
            await pilot.press("enter")
            await wait_for(pilot, lambda: any("worker stopped" in n.message for n in app._notifications),
                           what="the notification")
            assert app.is_running and not app.main_screen.ask_panel.answering


async def test_help_lists_every_key_and_the_palette_every_action(repo):
    with scripted_workspace(repo) as workspace:
        app = CoderApp(workspace)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("f1")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
            table = app.screen.query_one("#help-keys")
            assert table.row_count == len(all_keys())
            await pilot.press("escape")
            other_screens = {"RunScreen": RUN_KEYS, "ReviewScreen": REVIEW_KEYS, "CompareScreen": COMPARE_KEYS}
            actions = {action.split(".", 1)[1] for _, action, _ in palette_actions()}
            bound = ({k.action for k in all_keys() if k not in RUN_KEYS + REVIEW_KEYS + COMPARE_KEYS}
                     - {"command_palette"})
            assert bound <= actions
            for action in actions:  # each names a real action of the app or the screen
                owner = app if action in {"quit", "help", "pick_model"} else app.main_screen
                assert callable(getattr(owner, f"action_{action}", None)), action
            for name, screen_class in (("RunScreen", RunScreen), ("ReviewScreen", ReviewScreen),
                                       ("CompareScreen", CompareScreen)):
                offered = {a for _, a, _ in palette_actions(name) if a.startswith("screen.")}
                assert offered == {f"screen.{k.action}" for k in other_screens[name]}
                for action in offered:
                    action = action.split(".", 1)[1]
                    assert callable(getattr(screen_class, f"action_{action}", None)), action


async def test_the_model_picker_lists_installed_models_and_switches_the_role(repo):
    from tui.screens.model_picker import ModelPicker

    with scripted_workspace(repo) as workspace:
        app = CoderApp(workspace)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker), what="the picker")
            picker = app.screen
            options = picker.query_one("#picker-models")
            prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            assert prompts[0].startswith("── completion") and any(p.startswith("── chat") for p in prompts)
            chat_rows = prompts[prompts.index(next(p for p in prompts if p.startswith("── chat"))):]
            assert any("qwen2.5-coder-0.5b-instruct" in p and "not here" not in p for p in chat_rows)
            assert any("not here: run `coder model pull" in p for p in prompts)  # hub models not pulled
            row = next(i for i, p in enumerate(prompts) if p.startswith("── chat"))
            row += next(i for i, p in enumerate(chat_rows) if "0.5b-instruct" in p)
            options.highlighted = row
            await pilot.press("enter")
            await wait_for(pilot, lambda: not isinstance(app.screen, ModelPicker), what="the picker to close")
            assert workspace.chosen_models == {"chat": "qwen2.5-coder-0.5b-instruct"}


async def test_a_repository_large_enough_for_a_parallel_index_build_indexes_inside_the_app(tmp_path):
    """Over 64 files the index parses in worker processes, whose start-up must not
    trip over the stderr Textual puts in place (it did: 'bad value(s) in fds_to_keep')."""
    repo = make_sample_repo(tmp_path / "large")
    for n in range(80):
        (repo / f"module_{n}.py").write_text(f"def function_{n}(value):\n    return value + {n}\n")
    with scripted_workspace(repo) as workspace:
        app = CoderApp(workspace)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "defs" in app.main_screen.status.index_state, timeout_s=120,
                           what="the parallel index build")
            assert app.main_screen.status.index_state.startswith("index: 85 files")
