"""The last word on which findings are shown: in the change, confident, once each."""

from __future__ import annotations

from coder.review.findings import Finding, severity_rank


def in_change(findings: list[Finding], changed: dict[str, set[int]]) -> tuple[list[Finding], list[str]]:
    """Findings on lines the change touched; the dropped ones, with why."""
    kept, dropped = [], []
    for finding in findings:
        if finding.line in changed.get(finding.path, ()):
            kept.append(finding)
        else:
            dropped.append(f"{finding.path}:{finding.line}: not a changed line: {finding.message}")
    return kept, dropped


def confident(findings: list[Finding], cutoff: float) -> tuple[list[Finding], list[str]]:
    kept, dropped = [], []
    for finding in findings:
        if finding.confidence >= cutoff:
            kept.append(finding)
        else:
            dropped.append(f"{finding.path}:{finding.line}: confidence {finding.confidence:.2f} "
                           f"under the cutoff {cutoff:.2f}: {finding.message}")
    return kept, dropped


def _preference(finding: Finding) -> tuple:
    # A sure check beats the model; then the graver, then the surer finding.
    return (finding.source != "model", severity_rank(finding.severity), finding.confidence)


def deduplicate(findings: list[Finding]) -> list[Finding]:
    """One finding per line: the one a sure check made, else the gravest and surest;
    a suggestion another finding of the line offered is kept."""
    best: dict[tuple[str, int], Finding] = {}
    for finding in findings:
        key = (finding.path, finding.line)
        held = best.get(key)
        if held is None:
            best[key] = finding
            continue
        winner, loser = (finding, held) if _preference(finding) > _preference(held) else (held, finding)
        if winner.suggestion is None and loser.suggestion is not None:
            winner.suggestion = loser.suggestion
        best[key] = winner
    return sorted(best.values(), key=lambda f: (f.path, f.line, f.column))
