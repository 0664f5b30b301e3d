"""Workspace parts opened in the background (what the language server needs): the
model load sets ``ready``, the index build sets ``index_ready``, and until then the
engine that answers at once has no index."""

from __future__ import annotations

import threading

from tests.support.scripted_backend import ScriptedBackend

from coder.workspace import Workspace


def test_background_model_load_and_index_build(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "stats.py").write_text("def mean(values):\n    return sum(values) / len(values)\n")
    workspace = Workspace.open(tmp_path, backend=ScriptedBackend(["x"]))
    loaded = threading.Event()
    workspace.start_loading(lambda error: loaded.set()).join(30)
    assert loaded.is_set() and workspace.ready.is_set() and workspace.load_error is None
    assert workspace.engine_without_waiting("repo").index is None  # not built yet
    reports = []
    finished = []
    workspace.start_indexing(progress=lambda done, total: reports.append((done, total)),
                             on_done=finished.append).join(60)
    assert finished == [None] and workspace.index_ready.is_set()
    assert workspace.engine_without_waiting("repo").index is not None
    assert "stats.py" in workspace.index(refresh=False).files()
    workspace.close()


def test_a_model_that_cannot_load_is_reported_not_raised(tmp_path):
    workspace = Workspace.open(tmp_path, explicit_model=str(tmp_path / "missing.gguf"))
    errors = []
    workspace.start_loading(errors.append).join(30)
    assert not workspace.ready.is_set()
    assert errors and errors[0] == workspace.load_error and "missing.gguf" in errors[0]
