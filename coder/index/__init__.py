"""The repository index: definitions and references per file, cached in SQLite."""
