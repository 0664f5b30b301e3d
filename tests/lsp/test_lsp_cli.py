"""`coder lsp` and `coder stats` on the command line."""

from __future__ import annotations

import json

from coder.cli.main import main


def test_a_bad_tcp_address_is_one_line(capsys):
    assert main(["lsp", "--tcp", "localhost"]) == 2
    assert capsys.readouterr().err.strip() == (
        "coder: --tcp 'localhost' is not HOST:PORT (e.g. 127.0.0.1:2087)")


def test_stats_shows_the_acceptance_rate_per_language(tmp_path, monkeypatch, capsys):
    from coder.store import Store

    monkeypatch.setenv("CODER_STORE_PATH", str(tmp_path / "history.sqlite3"))
    with Store.open(tmp_path / "history.sqlite3") as store:
        ids = [store.record_completion(path="a.py", language="python", model="m", suggestion="x") for _ in range(4)]
        store.record_completion(path="b.go", language="go", model="m", suggestion="y")
        store.mark_accepted(ids[0])
        store.mark_accepted(ids[1])
    assert main(["stats", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {"language": "python", "shown": 4, "accepted": 2, "rate": 0.5},
        {"language": "go", "shown": 1, "accepted": 0, "rate": 0.0},
    ]
    assert main(["stats"]) == 0
    table = capsys.readouterr().out
    assert "python" in table and "50.0%" in table and "all" in table


def test_stats_on_an_empty_history(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CODER_STORE_PATH", str(tmp_path / "empty.sqlite3"))
    assert main(["stats"]) == 0
    assert "no suggestions recorded yet" in capsys.readouterr().out
