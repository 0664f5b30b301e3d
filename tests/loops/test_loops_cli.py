"""`coder fix`, `coder optimize` and `coder runs` from the command line: progress, the
diff and evidence, consent before writing, the history, and a later apply that refuses
when the file changed since. The model is scripted; the tests run in the sandbox."""

from __future__ import annotations

import pytest

from coder.cli.main import main
from coder.loops import sandbox as sandbox_module
from coder.workspace import Workspace
from loop_support import tree_hash
from tests.support.scripted_backend import ScriptedBackend
from test_loops_fix_scripted import RIGHT, WRONG

pytestmark = pytest.mark.skipif(sandbox_module.bubblewrap_problem() is not None,
                                reason=str(sandbox_module.bubblewrap_problem()))


@pytest.fixture
def scripted(monkeypatch, tmp_path):
    """Every Workspace the CLI opens gets this scripted chat model; a fresh store."""
    backend = ScriptedBackend([])
    opened = Workspace.open.__func__

    def open_with_scripted(cls, start=".", **kwargs):
        kwargs["chat_backend"] = backend
        return opened(cls, start, **kwargs)

    monkeypatch.setattr(Workspace, "open", classmethod(open_with_scripted))
    monkeypatch.setenv("CODER_STORE_PATH", str(tmp_path / "history.sqlite3"))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the fixtures need no plugins
    return backend


def test_fix_shows_the_diff_keeps_the_run_and_applies_only_later(scripted, buggy_repo, monkeypatch, capsys):
    monkeypatch.chdir(buggy_repo)
    scripted._replies = [WRONG, RIGHT]
    before = tree_hash(buggy_repo)
    assert main(["fix", "stats.py", "--rounds", "2"]) == 0
    out, err = capsys.readouterr()
    assert "round 1, candidate 1: 3 passed, 2 failed" in err and "5 passed, 0 failed" in err
    assert "+    return (ordered[middle - 1] + ordered[middle]) / 2" in out
    assert "# candidate 2.1 (scripted): passed" in out
    assert tree_hash(buggy_repo) == before  # no terminal, no --apply: nothing written
    run_id = int(out.split("coder runs apply ")[1].split("`")[0])

    assert main(["runs"]) == 0
    listing = capsys.readouterr().out
    assert f"{run_id:>4}" in listing and "fixed" in listing and "stats.py::median" in listing
    assert main(["runs", "show", str(run_id)]) == 0
    shown = capsys.readouterr().out
    assert "round 1:" in shown and "round 2:" in shown and "<- best" in shown

    assert main(["runs", "apply", str(run_id)]) == 0
    assert "(ordered[middle - 1] + ordered[middle]) / 2" in (buggy_repo / "stats.py").read_text()
    capsys.readouterr()
    assert main(["runs", "apply", str(run_id)]) == 2  # the file changed since the run
    assert "changed since the run; not applied" in capsys.readouterr().err


def test_fix_with_apply_writes_the_file(scripted, buggy_repo, monkeypatch, capsys):
    monkeypatch.chdir(buggy_repo)
    scripted._replies = [RIGHT]
    assert main(["fix", "stats.py::median", "--apply"]) == 0
    assert "# applied to stats.py" in capsys.readouterr().out
    assert "(ordered[middle - 1] + ordered[middle]) / 2" in (buggy_repo / "stats.py").read_text()


def test_without_bubblewrap_the_loop_refuses_and_says_how_to_install_it(scripted, buggy_repo, monkeypatch, capsys):
    monkeypatch.chdir(buggy_repo)
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda name: None)
    sandbox_module.bubblewrap_problem.cache_clear()
    try:
        assert main(["fix", "stats.py"]) == 2
    finally:
        monkeypatch.undo()
        sandbox_module.bubblewrap_problem.cache_clear()
    err = capsys.readouterr().err
    assert "apt-get install bubblewrap" in err and "--no-sandbox" in err
    assert scripted.chat_requests == []  # refused before asking the model


def test_no_sandbox_warns_and_still_limits(scripted, buggy_repo, monkeypatch, capsys):
    monkeypatch.chdir(buggy_repo)
    scripted._replies = [RIGHT]
    assert main(["fix", "--no-sandbox", "--json"]) == 0
    captured = capsys.readouterr()
    assert "warning: --no-sandbox" in captured.err
    assert '"outcome": "fixed"' in captured.out


def test_bad_targets_are_one_line_errors(scripted, buggy_repo, monkeypatch, capsys):
    monkeypatch.chdir(buggy_repo)
    assert main(["optimize", "stats.py"]) == 2
    assert "PATH::FUNCTION" in capsys.readouterr().err
    assert main(["fix", "stats.py::nothing"]) == 2
    assert "no function 'nothing'" in capsys.readouterr().err
    assert main(["runs", "show", "999"]) == 2
    assert "no run 999" in capsys.readouterr().err
