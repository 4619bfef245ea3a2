"""The SQL engine: DuckDB reads, checks, dedupes and stages in columns. See ``harness.engines``."""
