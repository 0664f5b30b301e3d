"""The history store: migrations, concurrent use from real processes, corruption."""

from __future__ import annotations

import multiprocessing

import pytest

from coder.store import Store, StoreError, migrations


def _write_rows(path: str, worker: int, count: int) -> None:
    with Store.open(path) as store:
        for n in range(count):
            store.record_completion(
                path=f"w{worker}.py", language="python", model="m", suggestion=f"s{n}"
            )


def test_migrations_apply_once_and_record_version(tmp_path):
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as store:
        assert store.schema_version() == migrations()[-1][0]
    with Store.open(path) as store:  # reopening applies nothing again
        assert store.schema_version() == migrations()[-1][0]
        journal = store.connection.execute("PRAGMA journal_mode").fetchone()[0]
        assert journal == "wal"


def test_records_and_queries(tmp_path):
    with Store.open(tmp_path / "s.sqlite3") as store:
        first = store.record_completion(path="a.py", language="python", model="m", suggestion="x")
        store.record_completion(path="a.py", language="python", model="m", suggestion="y")
        store.mark_accepted(first)
        assert store.acceptance_rate() == 0.5
        assert [row["suggestion"] for row in store.recent_completions(5)] == ["y", "x"]
        assert store.record_loop_run(kind="fix", target="t", rounds=2, outcome="passed") > 0
        assert store.record_review_finding(path="a.py", line=3, severity="warning", message="m") > 0


def test_processes_write_concurrently_and_fresh_store_migrates_once(tmp_path):
    path = str(tmp_path / "shared.sqlite3")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_rows, args=(path, w, 50)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with Store.open(path) as store:
        count = store.connection.execute("SELECT COUNT(*) FROM completions").fetchone()[0]
        assert count == 200
        tables = store.connection.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'completions'"
        ).fetchone()[0]
        assert tables == 1


def test_corrupt_store_is_a_one_line_error(tmp_path):
    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"this is not a database" * 200)
    with pytest.raises(StoreError) as raised:
        Store.open(path)
    assert str(path) in str(raised.value) and "move it away" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_old_store_is_migrated_forward_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(migrations()[0][1] + "; PRAGMA user_version = 1;")
    connection.execute(
        "INSERT INTO completions (created_at, path, language, model, suggestion) VALUES (1, 'a.py', 'python', 'm', 'x')"
    )
    connection.commit()
    connection.close()
    with Store.open(path) as store:
        assert store.schema_version() == migrations()[-1][0] >= 2
        store.record_completion(path="b.py", language="python", model="m", suggestion="y", candidates=2, invalid_names=1)
        assert store.completion_totals() == {"shown": 2, "accepted": 0, "invalid_names_caught": 1}
