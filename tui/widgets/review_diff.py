"""The reviewed change with the findings inline: each file's hunks (the removed lines,
the new ones with a little context) and, under the line it points at, each finding.
Only the findings can be highlighted, so up/down go from one to the next and Enter
asks to open the file there."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.styles import css_beside

CONTEXT = 2
SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "note": "bold cyan"}


def finding_text(finding) -> Text:
    text = Text("    ▲ ")
    text.append(f"{finding.severity}", style=SEVERITY_STYLE.get(finding.severity, "bold"))
    text.append(f" {finding.path}:{finding.line}: {finding.message}")
    source = finding.source if finding.source != "model" else f"confidence {finding.confidence:.2f}"
    text.append(f"  [{source}]", style="dim")
    if finding.suggestion:
        text.append(f"\n      suggested: {finding.suggestion.strip()}", style="green")
    return text


class ReviewDiff(OptionList):
    DEFAULT_CSS = css_beside(__file__)

    class FindingChosen(Message):
        def __init__(self, path: str, line: int):
            super().__init__()
            self.path, self.line = path, line

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.findings: list = []  # in the order shown

    def _line(self, text: str, style: str = "") -> None:
        self.add_option(Option(Text(text, style=style), disabled=True))

    def _finding(self, finding) -> None:
        self.add_option(Option(finding_text(finding), id=f"finding-{len(self.findings)}"))
        self.findings.append(finding)

    def show(self, result, changes, read_file=None) -> None:
        """result: a ReviewResult; changes: the Changes it read, or None (a stored
        result: then each finding is shown under its line as read_file(path) has it)."""
        self.clear_options()
        self.findings = []
        by_path: dict[str, list] = {}
        for finding in sorted(result.findings, key=lambda f: (f.path, f.line)):
            by_path.setdefault(finding.path, []).append(finding)
        if changes is not None:
            for change in changes.files:
                self._file(change, by_path.pop(change.path, []))
            for path, why in changes.skipped:
                self._line(f"── {path}: not reviewed ({why})", "dim")
        for path, findings in by_path.items():  # a stored result, or a finding off the diff
            self._line(f"── {path}", "bold")
            lines = (read_file(path) if read_file else "").splitlines()
            for finding in findings:
                if 0 < finding.line <= len(lines):
                    self._line(f"{finding.line:>5}   {lines[finding.line - 1]}")
                self._finding(finding)
        if not result.findings:
            self._line("no findings", "bold green")
        if self.findings:
            self.highlighted = next(i for i, o in enumerate(self.options) if not o.disabled)

    def _file(self, change, findings: list) -> None:
        self._line(f"── {change.path} ({change.status})", "bold")
        lines = change.text.splitlines()
        waiting = list(findings)
        shown_upto = 0  # context lines already shown under the previous hunk are not repeated
        for hunk in change.hunks:
            first = max(1, hunk.new_start - CONTEXT, shown_upto + 1)
            last = min(len(lines), hunk.new_start + hunk.new_count - 1 + CONTEXT)
            self._line(f"@@ +{hunk.new_start},{hunk.new_count} @@", "cyan")
            for removed in hunk.removed:
                self._line(f"{'':>5} - {removed}", "red")
            if hunk.new_count == 0:  # a pure deletion: the context after it
                first, last = max(hunk.new_start, shown_upto + 1), min(len(lines), hunk.new_start + CONTEXT)
            shown_upto = max(shown_upto, last)
            for number in range(first, last + 1):
                added = hunk.new_start <= number < hunk.new_start + hunk.new_count
                self._line(f"{number:>5} {'+' if added else ' '} {lines[number - 1]}", "green" if added else "")
                for finding in [f for f in waiting if f.line == number]:
                    self._finding(finding)
                    waiting.remove(finding)
        for finding in waiting:
            self._finding(finding)

    @property
    def current_finding(self):
        if self.highlighted is None:
            return None
        option = self.get_option_at_index(self.highlighted)
        if not option.id or not option.id.startswith("finding-"):
            return None
        return self.findings[int(option.id.removeprefix("finding-"))]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.startswith("finding-"):
            finding = self.findings[int(event.option.id.removeprefix("finding-"))]
            self.post_message(self.FindingChosen(finding.path, finding.line))
