"""Persistence: SQLAlchemy 2 (async Core) tables, one module per aggregate, Alembic migrations.

SQLite (WAL) is the embedded default; PostgreSQL (asyncpg) serves many nodes. Store
functions take an open connection and return domain objects; callers own transactions.
"""
