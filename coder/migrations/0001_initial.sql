-- History of what coder showed and did. Append-only: a change is a new numbered file.
CREATE TABLE completions (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    path TEXT NOT NULL,
    language TEXT NOT NULL,
    model TEXT NOT NULL,
    suggestion TEXT NOT NULL,
    latency_ms REAL,
    accepted_at REAL
);
CREATE INDEX completions_created ON completions(created_at);

CREATE TABLE loop_runs (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    kind TEXT NOT NULL,          -- fix | optimize
    target TEXT NOT NULL,
    rounds INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    details TEXT
);

CREATE TABLE review_findings (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    path TEXT NOT NULL,
    line INTEGER,
    severity TEXT NOT NULL,
    message TEXT NOT NULL
);
