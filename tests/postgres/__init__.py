"""Everything that needs PostgreSQL: schema, load, KPI and panel parity with DuckDB (marked postgres)."""
