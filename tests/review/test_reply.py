"""Reading model replies: valid findings are kept, everything else reported, nothing raises."""

from __future__ import annotations

import math

from coder.review.confidence import from_logprobs, from_samples, has_logprobs
from coder.review.reply import parse_reply

GOOD = '{"line": 3, "severity": "error", "quote": "if x = 1", "message": "assignment, not `x == 1`"}'


def test_a_clean_reply():
    parsed = parse_reply('{"findings": [' + GOOD + "]}")
    assert parsed.unparsable == []
    [finding] = parsed.findings
    assert (finding.line, finding.severity, finding.quote) == (3, "error", "if x = 1")
    assert finding.suggestion is None


def test_no_findings_and_plain_no_issues():
    assert parse_reply('{"findings": []}').findings == []
    assert parse_reply('{"findings": []}').unparsable == []
    assert parse_reply("No issues found.").unparsable == []


def test_fenced_reply_with_prose_and_a_broken_object_keeps_the_valid_ones():
    reply = ("Here is my review:\n```json\n{\"findings\": [" + GOOD + ", {\"line\": \"x\", oops}, "
             '{"line": 7, "severity": "CRITICAL", "quote": "i <= n", "message": "off by one", "suggestion": "i < n"}'
             ", {\"line\": 9, \"severity\": \"fatal\", \"quote\": \"a\", \"message\": \"m\"}]}\n```")
    parsed = parse_reply(reply)
    assert [(f.line, f.severity) for f in parsed.findings] == [(3, "error"), (7, "error")]
    assert parsed.findings[1].suggestion == "i < n"
    assert len(parsed.unparsable) == 2
    assert any("unknown severity 'fatal'" in piece for piece in parsed.unparsable)


def test_reply_cut_off_midway():
    parsed = parse_reply('{"findings": [' + GOOD + ', {"line": 5, "sev')
    assert [f.line for f in parsed.findings] == [3]
    assert parsed.unparsable


def test_prose_only_is_unparsable_not_an_error():
    parsed = parse_reply("The code looks mostly fine but the loop might be wrong.")
    assert parsed.findings == [] and len(parsed.unparsable) == 1


def test_confidence_from_token_logprobs_counts_the_deciding_tokens():
    reply = '{"findings": [' + GOOD + "]}"
    pieces = [reply[:14], reply[14:15]]  # '{"findings": [' and '{'
    rest = reply[15:]
    line_at = rest.index("3")
    pieces += [rest[:line_at], rest[line_at], rest[line_at + 1:]]
    tokens = [(pieces[0], 0.0), (pieces[1], math.log(0.8)), (pieces[2], 0.0), (pieces[3], math.log(0.5)),
              (pieces[4], math.log(0.9))]
    parsed = parse_reply(reply)
    assert has_logprobs(tokens, reply)
    # '{' (0.8) x line "3" (0.5) x the token that holds the severity (0.9, with the rest)
    assert abs(from_logprobs(parsed.findings[0], tokens) - 0.8 * 0.5 * 0.9) < 1e-9


def test_zero_logprobs_mean_the_backend_reported_none():
    assert not has_logprobs([("abc", 0.0)], "abc")
    assert not has_logprobs([], "abc")


def test_confidence_from_samples_is_the_share_that_agrees():
    first = parse_reply('{"findings": [' + GOOD + "]}")
    near = parse_reply('{"findings": [' + GOOD.replace('"line": 3', '"line": 4') + "]}")
    none = parse_reply('{"findings": []}')
    assert from_samples(first.findings[0], [first, near, none]) == 2 / 3
