"""Unit-test feedback loops: `coder fix` and `coder optimize`, in a real sandbox.

api.py is the entry for fronts; sandbox.py runs untrusted code; target.py finds and
replaces the function; test_feedback.py runs pytest and trims its output; timing.py
and profile.py measure; fix_loop.py and optimize_loop.py are the loops; events.py is
what they report.
"""
