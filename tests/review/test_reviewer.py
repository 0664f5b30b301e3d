"""The review's mechanics around the model, on real repositories with a scripted model:
grounding, filters, sure checks, the budget and the order of units. (What the real
model finds is tested in test_real_model.py.)"""

from __future__ import annotations

import json
import time

from coder.errors import ModelError
from coder.index.repo_index import RepoIndex
from coder.review.changes import open_repo, staged_changes
from coder.review.output_formats import text
from coder.review.reviewer import Reviewer
from coder.settings import ReviewSettings
from tests.review.git_repo import commit_all, git, new_repo, write
from tests.support.scripted_backend import ScriptedBackend

ORIGINAL = """def total(items):
    result = 0
    for i in range(len(items)):
        result += items[i]
    return result


def label(value):
    return "v" + str(value)
"""
BUGGY = ORIGINAL.replace("range(len(items))", "range(len(items) + 1)")


def reply(*findings) -> str:
    return json.dumps({"findings": list(findings)})


def finding(line, quote, message="index past the end of `items`", severity="error", **extra):
    return {"line": line, "severity": severity, "quote": quote, "message": message, **extra}


def staged_repo(tmp_path, before=ORIGINAL, after=BUGGY, name="calc.py"):
    root = new_repo(tmp_path / "repo")
    write(root, name, before)
    commit_all(root)
    write(root, name, after)
    git(root, "add", name)
    return root, staged_changes(open_repo(root))


def review(changes, replies, index=None, **settings):
    backend = ScriptedBackend(replies)
    options = ReviewSettings(**{"confidence": "off", **settings})
    result = Reviewer(options, open_model=lambda: backend, index=index).review(changes)
    return result, backend


def test_a_grounded_finding_is_kept_and_printed_like_a_compiler(tmp_path):
    _, changes = staged_repo(tmp_path)
    result, backend = review(changes, [reply(finding(3, "for i in range(len(items) + 1):", suggestion=
                                                     "    for i in range(len(items)):"))])
    [found] = result.findings
    assert (found.path, found.line, found.column, found.severity) == ("calc.py", 3, 5, "error")
    output = text(result)
    assert output.startswith("calc.py:3:5: error: index past the end of `items` [confidence 1.00]\n")
    assert "suggestion: for i in range(len(items)):" in output
    request = backend.chat_requests[0]
    assert request.temperature == 0.0 and request.channel == "review"
    assert ">    3 |     for i in range(len(items) + 1):" in request.messages[-1].content
    assert "def total(items):" in request.messages[-1].content  # the enclosing function, whole


def test_invented_quotes_lines_outside_the_change_and_unknown_names_are_dropped(tmp_path):
    _, changes = staged_repo(tmp_path)
    result, _ = review(changes, [reply(
        finding(3, "while True:"),                                   # not the code at line 3
        finding(9, 'return "v" + str(value)', "odd label"),          # a line the change did not touch
        finding(3, "for i in range(len(items) + 1):", "`counter` is never set"),  # blames a name not there
    )])
    assert result.findings == []
    assert len(result.dropped) == 3
    assert any("not at line 3" in why for why in result.dropped)
    assert any("not a changed line" in why for why in result.dropped)
    assert any("`counter`" in why for why in result.dropped)
    assert "dropped:" in text(result, verbose=True) and "dropped:" not in text(result)


def test_a_miscounted_line_moves_to_its_quote_and_duplicates_merge(tmp_path):
    _, changes = staged_repo(tmp_path)
    quote = "for i in range(len(items) + 1):"
    result, _ = review(changes, [reply(finding(5, quote), finding(3, quote, "off by one", severity="warning"))])
    [found] = result.findings
    assert found.line == 3 and found.severity == "error"


def test_a_quote_of_the_removed_line_puts_the_finding_on_its_replacement(tmp_path):
    _, changes = staged_repo(tmp_path)
    result, _ = review(changes, [reply(finding(4, "for i in range(len(items)):"))])
    assert [(f.line, f.quote) for f in result.findings] == [(3, "for i in range(len(items)):")]


def test_unparsable_parts_are_reported_with_verbose(tmp_path):
    _, changes = staged_repo(tmp_path)
    broken = '{"findings": [' + json.dumps(finding(3, "for i in range(len(items) + 1):")) + ', {"line": oops}]}'
    result, _ = review(changes, [broken])
    assert len(result.findings) == 1 and len(result.unparsable) == 1
    assert "unparsable reply: calc.py:3-3:" in text(result, verbose=True)
    assert "1 part(s) of the model's replies were unparsable" in text(result)


def test_sampled_confidence_under_the_cutoff_is_dropped(tmp_path):
    _, changes = staged_repo(tmp_path)
    with_bug = reply(finding(3, "for i in range(len(items) + 1):"))
    result, backend = review(changes, [with_bug, reply(), reply()], confidence="sampling", samples=3,
                             min_confidence=0.5)
    assert result.findings == [] and "confidence 0.33 under the cutoff" in result.dropped[0]
    assert [r.temperature for r in backend.chat_requests] == [0.0, 0.7, 0.7]
    result, _ = review(changes, [with_bug, with_bug, reply()], confidence="sampling", samples=3,
                       min_confidence=0.5)
    assert [round(f.confidence, 2) for f in result.findings] == [0.67]


def test_sure_checks_need_no_model_and_are_marked(tmp_path):
    broken = ORIGINAL.replace("    return result\n", "    return result +\n")
    _, changes = staged_repo(tmp_path, after=broken)
    result = Reviewer(ReviewSettings(), open_model=None).review(changes)
    [found] = result.findings
    assert (found.line, found.severity, found.source) == (5, "error", "syntax")
    assert "[syntax]" in text(result)
    assert result.unreviewed == ["calc.py:5-5 (no model)"]


def test_a_call_of_a_name_defined_nowhere(tmp_path):
    after = ORIGINAL.replace('return "v" + str(value)', 'return "v" + formatt(value) + helper(value)')
    root, changes = staged_repo(tmp_path, after=after)
    write(root, "helpers.py", "def helper(value):\n    return value\n")
    index = RepoIndex(root)
    index.refresh()
    try:
        def failing():
            raise ModelError("no model here")

        result = Reviewer(ReviewSettings(), open_model=failing, index=index).review(changes)
    finally:
        index.close()
    [found] = result.findings
    assert (found.line, found.source, found.message) == (9, "undefined-name", "formatt() is not defined anywhere")
    assert result.model_error == "no model here"


def test_units_go_most_suspicious_first_and_the_budget_leaves_the_rest(tmp_path):
    before = "def a():\n    return 1\n\n\ndef b(n):\n    return n\n"
    after = "def a():\n    return 2\n\n\ndef b(n):\n    return n <= len(x) - 1\n"
    _, changes = staged_repo(tmp_path, before=before, after=after)
    # The first reply takes 0.16 s, the second would take 4 s: the budget ends inside it.
    backend = ScriptedBackend([reply(), " " * 400 + reply()], delay_s=0.01, piece_chars=1)
    deadline = time.monotonic() + 1.5
    result = Reviewer(ReviewSettings(confidence="off"), open_model=lambda: backend).review(changes, deadline=deadline)
    assert "return n <= len(x) - 1" in backend.chat_requests[0].messages[-1].content
    assert result.timed_out and result.unreviewed == ["calc.py:2-2 (time budget)"]
    assert "left unreviewed: calc.py:2-2 (time budget)" in text(result)


def test_a_model_that_hangs_is_cancelled_at_the_deadline(tmp_path):
    _, changes = staged_repo(tmp_path)
    backend = ScriptedBackend(lambda request: reply() * 50, delay_s=0.5)
    started = time.monotonic()
    result = Reviewer(ReviewSettings(confidence="off"), open_model=lambda: backend).review(
        changes, deadline=started + 0.3)
    assert time.monotonic() - started < 2.0
    assert result.timed_out and result.reviewed_hunks == 0


def test_javascript_sure_checks(tmp_path):
    before = "function run(list) {\n  return list.length;\n}\n"
    after = "function run(list) {\n  const n = countItems(list);\n  return Math.max(n, list.length);\n}\n"
    root, changes = staged_repo(tmp_path, before=before, after=after, name="app.js")
    index = RepoIndex(root)
    index.refresh()
    try:
        result = Reviewer(ReviewSettings(), open_model=None, index=index).review(changes)
    finally:
        index.close()
    assert [(f.line, f.message) for f in result.findings] == [(2, "countItems() is not defined anywhere")]


class _TokenGeneration:
    """A finished generation with given (token, logprob) pieces, as a real backend reports."""

    def __init__(self, tokens):
        from coder.models.backend import GenerationStats

        self.tokens = list(tokens)
        self.stats = GenerationStats(finish_reason="stop")

    def __iter__(self):
        return iter(text for text, _ in self.tokens)

    def text(self):
        return "".join(self)

    def cancel(self):
        pass


class LogprobBackend(ScriptedBackend):
    supports_grammar = True

    def chat(self, request):
        self.chat_requests.append(request)
        return _TokenGeneration(self._replies.pop(0))


def test_an_empty_reply_with_real_odds_of_a_finding_is_asked_again(tmp_path):
    import math

    _, changes = staged_repo(tmp_path)
    empty = [('{"findings": [', 0.0), ("]", math.log(0.3)), ("}", 0.0)]  # 70 % it would have reported one
    quote = "for i in range(len(items) + 1):"
    body = json.dumps(finding(3, quote))
    line_at = body.index("3")
    forced = [('{"findings": [', 0.0), (body[:line_at], 0.0), ("3", math.log(0.9)), (body[line_at + 1:], 0.0),
              ("]}", 0.0)]
    backend = LogprobBackend([empty, forced])
    result = Reviewer(ReviewSettings(min_confidence=0.5), open_model=lambda: backend).review(changes)
    assert "root" in backend.chat_requests[1].grammar and backend.chat_requests[1].grammar != backend.chat_requests[0].grammar
    [found] = result.findings
    assert abs(found.confidence - 0.7 * 0.9) < 0.01


def test_an_empty_reply_the_model_was_sure_of_is_final(tmp_path):
    import math

    _, changes = staged_repo(tmp_path)
    backend = LogprobBackend([[('{"findings": [', 0.0), ("]", math.log(0.95)), ("}", -0.01)]])
    result = Reviewer(ReviewSettings(), open_model=lambda: backend).review(changes)
    assert result.findings == [] and len(backend.chat_requests) == 1
