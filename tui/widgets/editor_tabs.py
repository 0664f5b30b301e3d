"""The open files, one tab each; a tab's title carries a dot while its file is unsaved."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TabbedContent, TabPane

from tui.styles import css_beside
from tui.widgets.code_editor import CodeEditor

UNSAVED_MARK = " ●"


class EditorTabs(TabbedContent):
    DEFAULT_CSS = css_beside(__file__)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._panes: dict[str, str] = {}  # repo-relative path -> pane id
        self._next = 0

    @property
    def editors(self) -> list[CodeEditor]:
        return list(self.query(CodeEditor))

    def editor_for(self, path: str) -> CodeEditor | None:
        pane_id = self._panes.get(path)
        if pane_id is None:
            return None
        return self.get_pane(pane_id).query_one(CodeEditor)

    @property
    def current(self) -> CodeEditor | None:
        pane = self.active_pane
        if pane is None:
            return None
        found = pane.query(CodeEditor)
        return found.first() if found else None

    async def open_file(self, path: str, absolute: Path, text: str, mtime_ns: int) -> CodeEditor:
        """Show a file's tab, opening it when it is not open yet."""
        editor = self.editor_for(path)
        if editor is None:
            self._next += 1
            pane_id = f"file-{self._next}"
            editor = CodeEditor(path, absolute, text, disk_mtime_ns=mtime_ns)
            await self.add_pane(TabPane(self._title(path, False), editor, id=pane_id))
            self._panes[path] = pane_id
        self.active = self._panes[path]
        editor.focus()
        return editor

    async def close_file(self, path: str) -> None:
        pane_id = self._panes.pop(path, None)
        if pane_id is not None:
            await self.remove_pane(pane_id)

    def refresh_title(self, editor: CodeEditor) -> None:
        """After every edit: a tab's label set anew lays the screen out again, so only a
        changed one is set."""
        pane_id = self._panes.get(editor.path)
        if pane_id is None:
            return
        tab = self.get_tab(pane_id)
        title = self._title(editor.path, editor.modified)
        if tab.label.plain != title:
            tab.label = title

    @staticmethod
    def _title(path: str, modified: bool) -> str:
        return path.rpartition("/")[2] + (UNSAVED_MARK if modified else "")
