"""The PostgreSQL backend: `PostgresStore` and its schema (extra `crmkit[postgres]`)."""
