"""A review result as text for a person or a tool.

- ``text``: like a compiler, ``path:line:col: severity: message``, coloured on a
  terminal, so editors and terminals that link such lines link these;
- ``json``: the whole result (findings, what was left unreviewed, and why);
- ``sarif``: SARIF 2.1.0, what code-scanning services read;
- ``rdjsonl``: reviewdog's diagnostic format, one JSON object per line, so
  reviewdog can post the findings on a pull request.
"""

from __future__ import annotations

import json

from coder import __version__
from coder.review.findings import Finding, ReviewResult

FORMATS = ("text", "json", "sarif", "rdjsonl")
COLOURS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "note": "\x1b[1;36m"}
BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES = {
    "coder-review": "A likely bug the local model found in the change",
    "coder-syntax": "A changed line that no longer parses",
    "coder-undefined-name": "A call of a name that is defined nowhere",
}


def render(result: ReviewResult, form: str, *, colour: bool = False, verbose: bool = False) -> str:
    if form == "json":
        return json.dumps(result.as_dict(), indent=2) + "\n"
    if form == "sarif":
        return json.dumps(sarif(result), indent=2) + "\n"
    if form == "rdjsonl":
        return "".join(json.dumps(rdjson(f)) + "\n" for f in result.findings)
    return text(result, colour=colour, verbose=verbose)


def text(result: ReviewResult, *, colour: bool = False, verbose: bool = False) -> str:
    lines = finding_lines(result.findings, colour=colour)
    lines.extend(summary_lines(result, verbose=verbose))
    return "\n".join(lines) + "\n"


def finding_lines(findings: list[Finding], *, colour: bool = False) -> list[str]:
    def paint(code: str, value: str) -> str:
        return f"{code}{value}{RESET}" if colour else value

    lines = []
    for finding in findings:
        where = paint(BOLD, f"{finding.path}:{finding.line}:{finding.column}:")
        severity = paint(COLOURS.get(finding.severity, ""), f"{finding.severity}:")
        tail = f" [{finding.source}]" if finding.source != "model" else f" [confidence {finding.confidence:.2f}]"
        lines.append(f"{where} {severity} {finding.message}{paint(DIM, tail)}")
        if finding.suggestion:
            lines.append(f"    suggestion: {finding.suggestion.strip()}")
    return lines


def summary_lines(result: ReviewResult, *, verbose: bool = False) -> list[str]:
    """What a reader needs besides the findings: counts, what was not reviewed, why."""
    counts = {s: sum(1 for f in result.findings if f.severity == s) for s in ("error", "warning", "note")}
    told = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n) or "no findings"
    label = result.label + (f", commit {result.commit[:12]}" if result.commit else "")
    lines = [f"coder review ({label}): {told}; {result.reviewed_hunks} hunk(s) reviewed"
             + (f" by {result.model}" if result.model else "") + f" in {result.seconds:.1f} s"]
    if result.model_error:
        lines.append(f"coder review: the model did not review: {result.model_error}")
    if result.unreviewed:
        shown = result.unreviewed if verbose else result.unreviewed[:5]
        more = "" if len(shown) == len(result.unreviewed) else f" and {len(result.unreviewed) - len(shown)} more"
        lines.append(f"coder review: left unreviewed: {', '.join(shown)}{more}")
    if result.skipped_files:
        lines.append("coder review: not reviewed: " + ", ".join(f"{p} ({why})" for p, why in result.skipped_files))
    if verbose:
        lines.extend(f"coder review: unparsable reply: {piece}" for piece in result.unparsable)
        lines.extend(f"coder review: dropped: {why}" for why in result.dropped)
    elif result.unparsable:
        lines.append(f"coder review: {len(result.unparsable)} part(s) of the model's replies were unparsable "
                     "(--verbose shows them)")
    return lines


def _region(finding: Finding) -> dict:
    return {"startLine": finding.line, "startColumn": max(1, finding.column)}


def sarif(result: ReviewResult) -> dict:
    used = sorted({f.rule for f in result.findings} | {"coder-review"})
    results = []
    for finding in result.findings:
        item = {
            "ruleId": finding.rule,
            "ruleIndex": used.index(finding.rule),
            "level": finding.severity,
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                "region": _region(finding),
            }}],
            "properties": {"confidence": finding.confidence, "source": finding.source},
        }
        if finding.suggestion:
            item["fixes"] = [{
                "description": {"text": "suggested replacement of the line"},
                "artifactChanges": [{
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                    "replacements": [{
                        "deletedRegion": {"startLine": finding.line, "startColumn": 1,
                                          "endLine": finding.line + 1, "endColumn": 1},
                        "insertedContent": {"text": finding.suggestion.rstrip("\n") + "\n"},
                    }],
                }],
            }]
        results.append(item)
    notifications = [{"level": "note", "message": {"text": f"left unreviewed: {item}"}} for item in result.unreviewed]
    if result.model_error:
        notifications.append({"level": "warning", "message": {"text": f"the model did not review: {result.model_error}"}})
    invocation = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {"driver": {
            "name": "coder", "version": __version__, "semanticVersion": __version__,
            "rules": [{"id": rule, "shortDescription": {"text": RULES.get(rule, rule)}} for rule in used],
        }},
        "invocations": [invocation],
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def rdjson(finding: Finding) -> dict:
    """One diagnostic in reviewdog's rdjsonl form."""
    item = {
        "message": finding.message,
        "location": {"path": finding.path, "range": {"start": {"line": finding.line, "column": finding.column}}},
        "severity": {"error": "ERROR", "warning": "WARNING", "note": "INFO"}[finding.severity],
        "source": {"name": "coder"},
        "code": {"value": finding.rule},
    }
    if finding.suggestion:
        item["suggestions"] = [{
            "range": {"start": {"line": finding.line, "column": 1}, "end": {"line": finding.line + 1, "column": 1}},
            "text": finding.suggestion.rstrip("\n") + "\n",
        }]
    return item
