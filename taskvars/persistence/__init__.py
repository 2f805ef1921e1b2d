"""Storage: SQLAlchemy models, the store, the unit of work and Alembic migrations."""
