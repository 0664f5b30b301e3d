"""A whole review: sure checks, then the model unit by unit, then the filters.

    changes = staged_changes(repo)                      # coder.review.changes
    result = Reviewer(settings.review, open_model=lambda: ws.chat_backend,
                      index=ws.index()).review(changes, deadline=...)

Units are reviewed most suspicious first (sure findings, then the shapes of common
bugs), so when the time budget runs out what is left unreviewed is the least likely
to matter, and the result names it. The model is opened only when there is
something for it to read; when it cannot be opened, or fails, the sure checks'
findings still stand and ``model_error`` says why the rest was not reviewed.
"""

from __future__ import annotations

import time
from typing import Callable

from coder.errors import CoderError
from coder.review import filters
from coder.review.changes import Changes, FileChange
from coder.review.findings import Finding, ReviewResult
from coder.review.ground_findings import ground
from coder.review.model_review import review_unit
from coder.review.prompt import build_messages
from coder.review.sure_checks import syntax_findings, undefined_name_findings
from coder.review.units import ReviewUnit, parse, review_units


def _same_on_disk(root, change: FileChange) -> bool:
    """Whether the working-tree file holds the reviewed text (then the index has it)."""
    try:
        data = (root / change.path).read_bytes()
    except OSError:
        return False
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n") == change.text


class Reviewer:
    def __init__(self, settings, *, open_model: Callable[[], object] | None, index=None):
        """``settings`` is a ReviewSettings; ``open_model()`` returns the chat backend
        (raising CoderError when there is none); ``index`` a refreshed RepoIndex or None."""
        self.settings = settings
        self.open_model = open_model
        self.index = index
        self._maps: dict[tuple[str, int], str] = {}

    def review(self, changes: Changes, *, deadline: float | None = None) -> ReviewResult:
        started = time.monotonic()
        result = ReviewResult(label=changes.label, base=changes.base, commit=changes.commit,
                              skipped_files=list(changes.skipped))
        by_path = {change.path: change for change in changes.files}
        if self.index is not None:
            for change in changes.files:  # definitions in the reviewed versions count
                if not _same_on_disk(self.index.root, change):
                    self.index.update_file(change.path, change.text)
        found: list[Finding] = []
        units: list[ReviewUnit] = []
        for change in changes.files:
            tree = parse(change)
            sure = self._sure_checks(change, tree)
            found.extend(sure)
            for unit in review_units(change, tree):
                unit.sure_findings = sum(1 for f in sure if f.line in unit.changed)
                units.append(unit)
        units.sort(key=lambda unit: unit.suspicion(), reverse=True)
        if units and self.open_model is not None:
            found.extend(self._model_findings(units, by_path, result, deadline))
        elif units:
            result.unreviewed = [f"{unit.label} (no model)" for unit in units]
        changed = {change.path: change.changed_lines for change in changes.files}
        kept, dropped = filters.in_change(found, changed)
        result.dropped.extend(dropped)
        kept, dropped = filters.confident(kept, self.settings.min_confidence)
        result.dropped.extend(dropped)
        result.findings = filters.deduplicate(kept)
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _sure_checks(self, change: FileChange, tree) -> list[Finding]:
        if not self.settings.checks or tree is None:
            return []
        found = syntax_findings(change, tree)
        if not found:
            found = undefined_name_findings(change, self.index)
        return found

    def _model_findings(self, units: list[ReviewUnit], by_path: dict[str, FileChange], result: ReviewResult,
                        deadline: float | None) -> list[Finding]:
        try:
            backend = self.open_model()
            result.model = backend.info().name
        except CoderError as error:
            result.model_error = error.message
            result.unreviewed = [f"{unit.label} (no model)" for unit in units]
            return []
        found: list[Finding] = []
        for position, unit in enumerate(units):
            if deadline is not None and time.monotonic() >= deadline:
                result.timed_out = True
                result.unreviewed.extend(f"{u.label} (time budget)" for u in units[position:])
                break
            prompt = build_messages(unit, index=self.index, budget_tokens=self.settings.prompt_tokens,
                                    repo_map_tokens=self.settings.repo_map_tokens,
                                    repo_map_source=self._repo_map if self.index is not None else None)
            try:
                outcome = review_unit(backend, unit, prompt, self.settings, deadline)
            except CoderError as error:
                result.model_error = error.message
                result.unreviewed.extend(f"{u.label} (model failed)" for u in units[position:])
                break
            if outcome.cancelled:
                result.timed_out = True
                result.unreviewed.extend(f"{u.label} (time budget)" for u in units[position:])
                break
            result.reviewed_hunks += len(unit.hunks)
            result.unparsable.extend(outcome.unparsable)
            for finding in outcome.findings:
                reason = ground(finding, by_path[finding.path], self.index)
                if reason:
                    result.dropped.append(f"{finding.path}:{finding.line}: {reason}: {finding.message}")
                    continue
                line_text = by_path[finding.path].line(finding.line)
                finding.column = len(line_text) - len(line_text.lstrip()) + 1
                found.append(finding)
        return found

    def _repo_map(self, path: str, tokens: int) -> str:
        key = (path, tokens)
        if key not in self._maps:
            from coder.context.repo_map import build_repo_map

            self._maps[key] = build_repo_map(self.index, budget_tokens=tokens, focus_paths=[path],
                                             exclude_paths=[path]).text
        return self._maps[key]
