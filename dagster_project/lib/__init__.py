"""Plain helpers: no Dagster objects are built at import."""
