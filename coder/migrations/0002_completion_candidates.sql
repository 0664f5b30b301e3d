-- How hard each suggestion was to get: generations tried, and names the index knew
-- did not exist that were caught in them (issue: grounded completions are counted).
ALTER TABLE completions ADD COLUMN candidates INTEGER NOT NULL DEFAULT 1;
ALTER TABLE completions ADD COLUMN invalid_names INTEGER NOT NULL DEFAULT 0;
