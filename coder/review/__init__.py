"""Pre-commit review: the local model reads a change and points at likely bugs.

    changes.py        what is reviewed: the staged change, a commit range, a file or function
    units.py          hunks grouped inside their enclosing definition (tree-sitter)
    sure_checks.py    findings that need no model: lines that no longer parse, undefined calls
    prompt.py         the chat messages for one unit (prompts/review/*)
    model_review.py   one grammar-constrained model call, with confidence
    reply.py          reading the reply: valid findings kept, the rest reported
    confidence.py     from token log-probabilities, or repeated sampling
    ground_findings.py  a finding must quote a line that is there and blame names that exist
    filters.py        in the change, over the cutoff, one per line
    reviewer.py       the whole review within a deadline, most suspicious units first
    output_formats.py text, json, SARIF 2.1.0, rdjsonl
    session.py        what the fronts share: choose, review, remember, --last
    hook_files.py, hook_run.py   the git pre-commit hook: install, uninstall, run (fails open)
"""
