"""One open file: a TextArea with tree-sitter highlighting and ghost-text completions.

The editor asks for a completion after a pause in typing (or at once on its key) by
posting ``CompletionWanted``; the screen runs the model in a worker and hands the
answer back with ``show_completion``, which drops it when the text or the cursor has
moved on since. The first line of a suggestion shows in place, dimmed, with a count
of the lines that follow; Tab inserts all of it, Escape dismisses it, and typing the
characters it starts with keeps the rest."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea
from textual.widgets.text_area import Edit

from coder.syntax.languages import LANGUAGES, detect_language, grammar
from tui.styles import css_beside

PAUSE_S = 0.35  # how long typing must rest before a completion is asked for
# coder's languages that Textual highlights without help; the rest are registered
# with the grammar coder already has and the highlight query its wheel ships.
TEXTUAL_BUILTIN = {"python", "javascript", "json", "rust", "go", "java", "bash", "markdown", "toml", "yaml"}


class CodeEditor(TextArea):
    DEFAULT_CSS = css_beside(__file__)
    BINDINGS = [
        Binding("ctrl+g", "complete_now", "Complete", tooltip="ask the model for a completion here"),
    ]

    # Class defaults: TextArea's constructor already moves the cursor (and so runs the
    # selection watcher) before ours could set them.
    version = 0  # edits so far: a completion made for an older version is stale
    _ghost = ""  # the whole suggestion still to insert
    _ghost_at: tuple[int, int] | None = None
    _pause = None

    @dataclass
    class CompletionWanted(Message):
        editor: "CodeEditor"
        explicit: bool

    @dataclass
    class Edited(Message):
        """The text changed (the tab label shows whether it is saved)."""

        editor: "CodeEditor"

    def __init__(self, path: str, absolute: Path, text: str, *, disk_mtime_ns: int, **kwargs):
        language = detect_language(path, text.split("\n", 1)[0])
        super().__init__(text, tab_behavior="indent", show_line_numbers=True, soft_wrap=False, **kwargs)
        self.path = path  # repo-relative
        self.absolute = absolute
        self.coder_language = language
        self.saved_text = text
        self.disk_mtime_ns = disk_mtime_ns
        self.hide_suggestion_on_blur = True
        self._set_highlighting(language)

    def _set_highlighting(self, language: str) -> None:
        if language in TEXTUAL_BUILTIN:
            self.language = language
            return
        spec = LANGUAGES.get(language)
        parsed = grammar(language) if spec is not None else None
        query = getattr(importlib.import_module(spec.module), "HIGHLIGHTS_QUERY", None) if parsed is not None else None
        if parsed is None or not query:
            return  # plain text: no grammar or no highlight query for it
        try:
            self.register_language(language, parsed, query)
            self.language = language
        except Exception:  # noqa: BLE001 - a query the grammar version rejects: stay plain
            self.language = None

    # -- state -------------------------------------------------------------------

    @property
    def modified(self) -> bool:
        return self.text != self.saved_text

    @property
    def ghost(self) -> str:
        return self._ghost

    def mark_saved(self, text: str, mtime_ns: int) -> None:
        self.saved_text = text
        self.disk_mtime_ns = mtime_ns
        self.post_message(self.Edited(self))

    def reload(self, text: str, mtime_ns: int) -> None:
        """Take the file's text from disk (keeping the cursor where it can be)."""
        row, column = self.cursor_location
        self.dismiss_completion()
        self.load_text(text)
        self.saved_text = text
        self.disk_mtime_ns = mtime_ns
        self.version += 1
        last = self.document.line_count - 1
        row = min(row, last)
        self.move_cursor((row, min(column, len(self.document[row]))))
        self.post_message(self.Edited(self))

    # -- completions -------------------------------------------------------------

    def show_completion(self, text: str, version: int, line: int, column: int) -> bool:
        """Show a suggestion made for (version, line, column); False when it is stale."""
        if not text or version != self.version or self.cursor_location != (line, column):
            return False
        if not self.selection.is_empty:
            return False
        self._ghost = text
        self._ghost_at = (line, column)
        self._show_ghost()
        return True

    def _show_ghost(self) -> None:
        first, *rest = self._ghost.split("\n")
        more = f"  ⏎ +{len(rest)} lines" if rest else ""
        self.suggestion = first + more if first or more else ""

    def dismiss_completion(self) -> None:
        self._ghost = ""
        self._ghost_at = None
        self.suggestion = ""

    def accept_completion(self) -> bool:
        if not self._ghost:
            return False
        text = self._ghost
        self.dismiss_completion()
        self.insert(text)
        return True

    def action_complete_now(self) -> None:
        self._cancel_pause()
        self.post_message(self.CompletionWanted(self, explicit=True))

    def _cancel_pause(self) -> None:
        if self._pause is not None:
            self._pause.stop()
            self._pause = None

    def _paused(self) -> None:
        self._pause = None
        if not self._ghost and self.selection.is_empty:
            self.post_message(self.CompletionWanted(self, explicit=False))

    # -- editing -----------------------------------------------------------------

    def edit(self, edit: Edit):
        ghost, at = self._ghost, self._ghost_at
        typed_into = (
            bool(ghost) and bool(edit.text) and edit.from_location == edit.to_location == at
            and ghost.startswith(edit.text) and len(edit.text) < len(ghost)
        )
        result = super().edit(edit)
        self.version += 1
        if typed_into:
            self._ghost, self._ghost_at = ghost[len(edit.text):], self.cursor_location
            self._show_ghost()
        else:
            self.dismiss_completion()
        self._cancel_pause()
        self._pause = self.set_timer(PAUSE_S, self._paused)
        self.post_message(self.Edited(self))
        return result

    def _undo_batch(self, edits) -> None:
        super()._undo_batch(edits)
        self._changed_outside_edit()

    def _redo_batch(self, edits) -> None:
        super()._redo_batch(edits)
        self._changed_outside_edit()

    def _changed_outside_edit(self) -> None:
        """Undo and redo change the text without going through edit()."""
        self.version += 1
        self.dismiss_completion()
        self._cancel_pause()
        self.post_message(self.Edited(self))

    def _watch_selection(self, previous_selection, selection) -> None:
        super()._watch_selection(previous_selection, selection)
        if self._ghost and (not selection.is_empty or selection.end != self._ghost_at):
            self.dismiss_completion()

    def _watch_has_focus(self, focus: bool) -> None:
        super()._watch_has_focus(focus)
        # TextArea caches rendered lines by a key that leaves focus out, so the cursor
        # and the ghost text (both drawn only with focus) could linger after a blur.
        self._line_cache.clear()
        self.refresh()

    async def _on_key(self, event: events.Key) -> None:
        if self._ghost and event.key == "tab":
            event.stop()
            event.prevent_default()
            self.accept_completion()
            return
        if self._ghost and event.key == "escape":
            event.stop()
            event.prevent_default()
            self.dismiss_completion()
            return
        await super()._on_key(event)
