"""The history store: SQLite under the user data directory.

Several processes use it at once (the LSP server, the TUI, a commit hook), so it
runs in WAL mode with a busy timeout, and migrations are applied under an exclusive
transaction: two processes opening a fresh store apply each migration exactly once.
Migrations are numbered, append-only ``coder/migrations/NNNN_name.sql`` files; the
number of the last one applied is SQLite's ``user_version``.
"""

from __future__ import annotations

import sqlite3
import time
from importlib import resources
from pathlib import Path

from coder import paths
from coder.errors import CoderError

OPEN_PATIENCE_S = 30.0  # how long opening waits out other processes creating the same store


class StoreError(CoderError):
    title = "store"


def migrations() -> list[tuple[int, str]]:
    """(number, sql) of every migration shipped with coder, in order."""
    found = []
    for entry in resources.files("coder").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql") and entry.name[:4].isdigit():
            found.append((int(entry.name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


class Store:
    def __init__(self, connection: sqlite3.Connection, path: Path):
        self.connection = connection
        self.path = path

    @classmethod
    def open(cls, path: str | Path | None = None) -> "Store":
        path = Path(path) if path else paths.store_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + OPEN_PATIENCE_S
        while True:
            connection = None
            try:
                connection = sqlite3.connect(path, timeout=30, isolation_level=None)
                connection.execute("PRAGMA busy_timeout = 30000")
                connection.execute("PRAGMA journal_mode = WAL")
                store = cls(connection, path)
                store._migrate()
                return store
            except sqlite3.DatabaseError as error:
                if connection is not None:
                    connection.close()
                # Processes opening a new store at once: switching it to WAL can fail
                # at once with "locked" (SQLite does not wait there), so try again.
                locked = isinstance(error, sqlite3.OperationalError) and "locked" in str(error)
                if not locked or time.monotonic() > deadline:
                    raise StoreError(f"the history store {path} is unusable ({error}); move it away and coder "
                                     "will start a new one") from None
                time.sleep(0.05)

    def _migrate(self) -> None:
        pending = migrations()
        if self.schema_version() >= pending[-1][0]:
            return
        self.connection.execute("BEGIN EXCLUSIVE")
        try:
            current = self.schema_version()  # another process may have migrated meanwhile
            for number, sql in pending:
                if number > current:
                    for statement in sql.split(";"):
                        if statement.strip():
                            self.connection.execute(statement)
                    self.connection.execute(f"PRAGMA user_version = {number}")
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        return self.connection.execute("PRAGMA user_version").fetchone()[0]

    def _insert(self, sql: str, values: tuple) -> int:
        try:
            return self.connection.execute(sql, values).lastrowid
        except sqlite3.DatabaseError as error:
            raise StoreError(f"could not write to the history store {self.path} ({error})") from None

    def record_completion(
        self,
        *,
        path: str,
        language: str,
        model: str,
        suggestion: str,
        latency_ms: float | None = None,
        candidates: int = 1,
        invalid_names: int = 0,
    ) -> int:
        return self._insert(
            "INSERT INTO completions (created_at, path, language, model, suggestion, latency_ms, "
            "candidates, invalid_names) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), path, language, model, suggestion, latency_ms, candidates, invalid_names),
        )

    def mark_accepted(self, completion_id: int) -> None:
        self.connection.execute(
            "UPDATE completions SET accepted_at = ? WHERE id = ?", (time.time(), completion_id)
        )

    def record_loop_run(
        self, *, kind: str, target: str, rounds: int, outcome: str, details: str = ""
    ) -> int:
        return self._insert(
            "INSERT INTO loop_runs (created_at, kind, target, rounds, outcome, details) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (time.time(), kind, target, rounds, outcome, details),
        )

    def start_loop_run(self, *, kind: str, target: str, path: str, repo_root: str, model: str,
                       original_sha256: str, options: str = "") -> int:
        return self._insert(
            "INSERT INTO loop_runs (created_at, kind, target, rounds, outcome, path, repo_root, model, "
            "original_sha256, options) VALUES (?, ?, ?, 0, 'running', ?, ?, ?, ?, ?)",
            (time.time(), kind, target, path, repo_root, model, original_sha256, options),
        )

    def finish_loop_run(self, run_id: int, *, rounds: int, outcome: str, best_candidate_id: int | None,
                        solved_by: str | None, details: str = "") -> None:
        self.connection.execute(
            "UPDATE loop_runs SET rounds = ?, outcome = ?, best_candidate_id = ?, solved_by = ?, details = ?, "
            "finished_at = ? WHERE id = ?",
            (rounds, outcome, best_candidate_id, solved_by, details, time.time(), run_id),
        )

    def record_loop_candidate(self, *, run_id: int, round: int, index: int, model: str, status: str,
                              reason: str, reply: str, definition: str | None, file_text: str | None,
                              evidence: str, feedback: str) -> int:
        return self._insert(
            "INSERT INTO loop_candidates (run_id, created_at, round, idx, model, status, reason, reply, "
            "definition, file_text, evidence, feedback) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, time.time(), round, index, model, status, reason, reply, definition, file_text,
             evidence, feedback),
        )

    def _rows(self, sql: str, values: tuple) -> list[dict]:
        cursor = self.connection.execute(sql, values)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def loop_runs(self, limit: int = 20) -> list[dict]:
        return self._rows(
            "SELECT r.*, (SELECT COUNT(*) FROM loop_candidates c WHERE c.run_id = r.id) AS candidates "
            "FROM loop_runs r ORDER BY r.id DESC LIMIT ?", (limit,))

    def loop_run(self, run_id: int) -> dict | None:
        rows = self._rows("SELECT * FROM loop_runs WHERE id = ?", (run_id,))
        return rows[0] if rows else None

    def loop_candidates(self, run_id: int) -> list[dict]:
        return self._rows("SELECT * FROM loop_candidates WHERE run_id = ? ORDER BY id", (run_id,))

    def loop_candidate(self, candidate_id: int) -> dict | None:
        rows = self._rows("SELECT * FROM loop_candidates WHERE id = ?", (candidate_id,))
        return rows[0] if rows else None

    def record_review_finding(
        self, *, path: str, line: int | None, severity: str, message: str
    ) -> int:
        return self._insert(
            "INSERT INTO review_findings (created_at, path, line, severity, message) "
            "VALUES (?, ?, ?, ?, ?)",
            (time.time(), path, line, severity, message),
        )

    def record_review(self, *, repo: str, result, outcome: str, diff_key: str | None = None) -> int:
        """Keep a review (a coder.review ReviewResult) and each of its findings."""
        import json

        run_id = self._insert(
            "INSERT INTO review_runs (created_at, repo, label, base, commit_sha, diff_key, model, outcome, result) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), repo, result.label, result.base, result.commit, diff_key, result.model, outcome,
             json.dumps(result.as_dict())),
        )
        for finding in result.findings:
            self._insert(
                "INSERT INTO review_findings (created_at, path, line, severity, message, run_id, column_no, "
                "confidence, source, suggestion, commit_sha) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), finding.path, finding.line, finding.severity, finding.message, run_id,
                 finding.column, finding.confidence, finding.source, finding.suggestion, result.commit),
            )
        return run_id

    def last_review(self, repo: str) -> dict | None:
        """The latest review of a repository: its row, with ``result`` as a dict."""
        import json

        cursor = self.connection.execute(
            "SELECT id, created_at, label, base, commit_sha, diff_key, model, outcome, result FROM review_runs "
            "WHERE repo = ? ORDER BY id DESC LIMIT 1", (repo,),
        )
        row = cursor.fetchone()
        if row is None:
            return None
        record = dict(zip([d[0] for d in cursor.description], row))
        record["result"] = json.loads(record["result"])
        return record

    def attach_review_commit(self, run_id: int, commit: str) -> None:
        """The commit a staged review became, once it exists."""
        self.connection.execute("UPDATE review_runs SET commit_sha = ? WHERE id = ?", (commit, run_id))
        self.connection.execute("UPDATE review_findings SET commit_sha = ? WHERE run_id = ?", (commit, run_id))

    def recent_completions(self, limit: int = 20) -> list[dict]:
        cursor = self.connection.execute(
            "SELECT id, created_at, path, language, model, suggestion, latency_ms, accepted_at "
            "FROM completions ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def acceptance_rate(self) -> float | None:
        shown, accepted = self.connection.execute(
            "SELECT COUNT(*), COUNT(accepted_at) FROM completions"
        ).fetchone()
        return accepted / shown if shown else None

    def acceptance_by_language(self, since: float | None = None) -> list[dict]:
        """Per language: suggestions shown and accepted and the acceptance rate, most
        shown first (``since``: a time.time() lower bound)."""
        rows = self.connection.execute(
            "SELECT language, COUNT(*), COUNT(accepted_at) FROM completions WHERE created_at >= ? "
            "GROUP BY language ORDER BY COUNT(*) DESC, language",
            (since or 0.0,),
        ).fetchall()
        return [
            {"language": language, "shown": shown, "accepted": accepted, "rate": accepted / shown}
            for language, shown, accepted in rows
        ]

    def completion_totals(self) -> dict:
        """Suggestions shown and accepted, and invented names caught before showing."""
        shown, accepted, caught = self.connection.execute(
            "SELECT COUNT(*), COUNT(accepted_at), COALESCE(SUM(invalid_names), 0) FROM completions"
        ).fetchone()
        return {"shown": shown, "accepted": accepted, "invalid_names_caught": caught}

    def close(self) -> None:
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
