-- Fix and optimize loops (issue 12): a run's target file and what it started from, so
-- a kept candidate can be applied later only onto that same file, and every candidate tried.
ALTER TABLE loop_runs ADD COLUMN path TEXT;
ALTER TABLE loop_runs ADD COLUMN repo_root TEXT;
ALTER TABLE loop_runs ADD COLUMN model TEXT;
ALTER TABLE loop_runs ADD COLUMN solved_by TEXT;
ALTER TABLE loop_runs ADD COLUMN original_sha256 TEXT;
ALTER TABLE loop_runs ADD COLUMN options TEXT;
ALTER TABLE loop_runs ADD COLUMN best_candidate_id INTEGER;
ALTER TABLE loop_runs ADD COLUMN finished_at REAL;

CREATE TABLE loop_candidates (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES loop_runs(id),
    created_at REAL NOT NULL,
    round INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    model TEXT NOT NULL,
    status TEXT NOT NULL,        -- rejected | failed | passed | faster | not_faster
    reason TEXT,
    reply TEXT NOT NULL,
    definition TEXT,
    file_text TEXT,
    evidence TEXT,               -- JSON: test results, timing verdict
    feedback TEXT
);
CREATE INDEX loop_candidates_run ON loop_candidates(run_id);
