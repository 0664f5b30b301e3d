-- Each review (issue 13): what was reviewed, with which model, and its whole result,
-- so `coder review --last` shows it again without a model. A staged review is made
-- before its commit exists: base is HEAD then and diff_key identifies the staged
-- change, which is how the commit it became is recognised later (commit_sha).
CREATE TABLE review_runs (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    repo TEXT NOT NULL,
    label TEXT NOT NULL,
    base TEXT,
    commit_sha TEXT,
    diff_key TEXT,
    model TEXT,
    outcome TEXT NOT NULL,       -- passed | blocked | reviewed | failed-open
    result TEXT NOT NULL         -- the ReviewResult as JSON
);
CREATE INDEX review_runs_repo ON review_runs(repo, id);
ALTER TABLE review_findings ADD COLUMN run_id INTEGER REFERENCES review_runs(id);
ALTER TABLE review_findings ADD COLUMN column_no INTEGER;
ALTER TABLE review_findings ADD COLUMN confidence REAL;
ALTER TABLE review_findings ADD COLUMN source TEXT;
ALTER TABLE review_findings ADD COLUMN suggestion TEXT;
ALTER TABLE review_findings ADD COLUMN commit_sha TEXT;
