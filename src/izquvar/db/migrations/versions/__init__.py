"""One module per schema revision, in order; each written for SQLite and PostgreSQL alike."""
