"""Output formats: compiler lines, JSON, SARIF 2.1.0 (checked against the shipped schema), rdjsonl."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from coder.review.findings import Finding, ReviewResult
from coder.review.output_formats import render

SCHEMA = Path(__file__).parent.parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


def sample_result() -> ReviewResult:
    return ReviewResult(
        findings=[
            Finding("src/calc.py", 3, "error", "index past the end of `items`", column=5,
                    suggestion="    for i in range(len(items)):", confidence=0.81, quote="for i in ..."),
            Finding("src/calc.py", 9, "error", "syntax error: this does not parse", column=12, source="syntax"),
            Finding("web/app.js", 4, "warning", "assignment in a condition", column=3, confidence=0.6),
        ],
        reviewed_hunks=3, unreviewed=["big.py:1-80 (time budget)"], model="qwen2.5-coder-0.5b-instruct",
    )


def sarif_validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_sarif_is_valid_against_the_schema_and_carries_every_finding():
    document = json.loads(render(sample_result(), "sarif"))
    errors = sorted(sarif_validator().iter_errors(document), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
    [run] = document["runs"]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("coder-review", "error"), ("coder-syntax", "error"), ("coder-review", "warning")]
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 5}
    replacement = run["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"] == "    for i in range(len(items)):\n"
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    assert "time budget" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_the_validator_does_reject_a_broken_document():
    document = json.loads(render(sample_result(), "sarif"))
    document["runs"][0]["results"][0]["level"] = "fatal"
    assert list(sarif_validator().iter_errors(document))


def test_empty_result_is_valid_sarif():
    document = json.loads(render(ReviewResult(), "sarif"))
    assert list(sarif_validator().iter_errors(document)) == []
    assert document["runs"][0]["results"] == []


def test_rdjsonl_is_one_reviewdog_diagnostic_per_line():
    lines = render(sample_result(), "rdjsonl").splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert first["location"] == {"path": "src/calc.py", "range": {"start": {"line": 3, "column": 5}}}
    assert first["severity"] == "ERROR" and first["source"]["name"] == "coder"
    assert first["suggestions"][0]["text"] == "    for i in range(len(items)):\n"
    assert json.loads(lines[2])["severity"] == "WARNING"


def test_json_round_trips():
    result = sample_result()
    again = ReviewResult.from_dict(json.loads(render(result, "json")))
    assert again == result


def test_text_is_coloured_only_when_asked():
    plain = render(sample_result(), "text")
    assert plain.splitlines()[0] == "src/calc.py:3:5: error: index past the end of `items` [confidence 0.81]"
    assert "src/calc.py:9:12: error: syntax error: this does not parse [syntax]" in plain
    assert "\x1b[" not in plain
    coloured = render(sample_result(), "text", colour=True)
    assert "\x1b[1;31merror:\x1b[0m" in coloured
