"""The keys of the app in one table: the bindings are made from it and the help
screen lists it, so the two cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    key: str  # Textual's key name(s), comma-separated
    action: str  # the app's or the main screen's action name
    description: str  # what the palette and the help screen say
    show: bool = False  # in the footer


APP_KEYS = (
    Key("ctrl+q", "quit", "Quit (asks first when files are unsaved or a run is going)", True),
    Key("f1", "help", "Show the keys", True),
    Key("f2", "pick_model", "Pick the completion or chat model", True),
)
SCREEN_KEYS = (
    Key("ctrl+s", "save", "Save the current file", True),
    Key("ctrl+l", "ask", "Ask about the selection, the file or the repository", True),
    Key("ctrl+n", "new_conversation", "Start a new conversation"),
    Key("ctrl+r", "ask_repository", "Ask about the whole repository"),
    Key("ctrl+b", "toggle_tree", "Show or hide the file tree"),
    Key("ctrl+t", "toggle_ask", "Show or hide the ask panel"),
    Key("ctrl+o", "focus_tree", "Go to the file tree"),
    Key("ctrl+e", "focus_editor", "Go to the editor"),
    Key("alt+w", "close_file", "Close the current file"),
    Key("alt+x", "stop", "Stop the answer or completion being generated"),
    Key("f5", "fix", "Fix the function at the cursor (fix loop over its tests)"),
    Key("f8", "optimize", "Optimize the function at the cursor (optimize loop)"),
    Key("f3", "runs", "Earlier fix and optimize runs"),
    Key("f9", "back_to_run", "Back to the last run (live while it goes on)"),
    Key("alt+e", "toggle_escalation", "Escalate the next runs to the larger model ([loops] escalate_*): on or off"),
    Key("f4", "review", "Review the staged change"),
)
EDITOR_KEYS = (
    Key("ctrl+g", "complete_now", "Ask for a completion at the cursor"),
    Key("tab", "accept", "Accept the completion shown"),
    Key("escape", "dismiss", "Dismiss the completion shown"),
)
RUN_KEYS = (  # on the run screen
    Key("a", "accept_hunk", "Run: accept the hunk"),
    Key("r", "reject_hunk", "Run: reject the hunk"),
    Key("w", "apply", "Run: apply the accepted hunks to the file", True),
    Key("t", "test_kept", "Run: run the tests on the accepted hunks", True),
    Key("m", "mark", "Run: mark the candidate under the cursor for comparing"),
    Key("c", "compare", "Run: compare the candidate with the marked one (or the original)", True),
    Key("alt+x", "stop", "Run: stop the run"),
    Key("escape", "close", "Run: back to the editor (the run goes on; F9 returns)", True),
)
REVIEW_KEYS = (  # on the review screen
    Key("enter", "jump", "Review: open the file at the finding"),
    Key("r", "run_again", "Review: run the review again", True),
    Key("l", "show_last", "Review: show the previous result from the history", True),
    Key("escape", "close", "Review: back to the editor", True),
)
COMPARE_KEYS = (  # on the compare screen
    Key("u", "toggle_layout", "Compare: side by side or unified", True),
    Key("escape", "close", "Compare: back to the run", True),
)
OTHER_KEYS = (
    Key("ctrl+p", "command_palette", "Command palette: every action by name"),
)


def all_keys() -> tuple[Key, ...]:
    return APP_KEYS + SCREEN_KEYS + EDITOR_KEYS + RUN_KEYS + COMPARE_KEYS + REVIEW_KEYS + OTHER_KEYS
