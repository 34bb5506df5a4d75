"""HTTP transport: thin FastAPI routes that parse, call one action or query, and serialize."""
