"""A pytest plugin loaded inside the sandbox (``-p coder_loop_report``): results as JSON.

It is copied into the sandbox's read-only support folder and imported there by the
project's own interpreter, so it uses nothing but pytest and the standard library.
The report is rewritten after every test, so a run killed midway (a hang, a crash,
``os._exit``) still tells which tests ran and which one was running.

With CODER_LOOP_RECORD="module:qualname" it also wraps that function and keeps the
arguments of its first calls (pickled), so a benchmark can replay the calls the tests
make.
"""

import json
import os
import pickle

import pytest

_REPORT = os.environ.get("CODER_LOOP_REPORT", "coder-loop-report.json")
_state = {"results": [], "running": None, "finished": False, "exitstatus": None, "collected": 0}
_recorded = []


def _write():
    temporary = _REPORT + ".part"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(_state, handle)
    os.replace(temporary, _REPORT)


def _frames(excinfo):
    frames = []
    for entry in excinfo.traceback:
        try:
            line = str(entry.statement).strip()
        except Exception:  # a frame whose source is gone
            line = ""
        frames.append([str(entry.path), entry.lineno + 1, entry.name, line[:200]])
    return frames


def pytest_configure(config):
    target = os.environ.get("CODER_LOOP_RECORD")
    if target:
        _wrap_for_recording(target)


def _wrap_for_recording(target):
    import functools
    import importlib

    module_name, qualname = target.split(":")
    module = importlib.import_module(module_name)
    owner, *rest = qualname.split(".")
    holder, name = (module, owner) if not rest else (getattr(module, owner), rest[-1])
    original = getattr(holder, name)
    limit = int(os.environ.get("CODER_LOOP_RECORD_LIMIT", "50"))

    @functools.wraps(original)
    def recording(*args, **kwargs):
        if len(_recorded) < limit:
            try:
                _recorded.append(pickle.dumps((args, kwargs)))
            except Exception:  # arguments that do not pickle are not replayed
                pass
        return original(*args, **kwargs)

    setattr(holder, name, recording)


def pytest_collectreport(report):
    if report.failed:
        _state["results"].append({
            "nodeid": report.nodeid or "(collection)", "when": "collect", "outcome": "error",
            "message": str(report.longrepr)[-6000:], "frames": [], "stdout": "", "stderr": "",
            "duration": 0.0,
        })
        _write()


def pytest_collection_modifyitems(items):
    _state["collected"] = len(items)


def pytest_runtest_logstart(nodeid, location):
    _state["running"] = nodeid
    _write()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" and report.outcome == "passed":
        return
    if report.skipped:
        kind = "skipped"
    elif report.failed:
        kind = "failed" if report.when == "call" else "error"
    else:
        kind = "passed"
    entry = {
        "nodeid": report.nodeid, "when": report.when, "outcome": kind, "duration": report.duration,
        "message": "", "frames": [], "stdout": report.capstdout[-4000:], "stderr": report.capstderr[-4000:],
    }
    if report.failed and call.excinfo is not None:
        entry["message"] = call.excinfo.exconly()[-6000:]
        entry["frames"] = _frames(call.excinfo)
    _state["results"].append(entry)
    _state["running"] = None
    _write()


def pytest_sessionfinish(session, exitstatus):
    _state["finished"] = True
    _state["exitstatus"] = int(exitstatus)
    _write()
    if _recorded:
        with open(os.environ.get("CODER_LOOP_RECORD_OUT", "coder-loop-calls.pickle"), "wb") as handle:
            pickle.dump(_recorded, handle)
