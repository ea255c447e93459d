"""Alembic migrations of izquvar's database (run by ``izquvar.db.upgrade``)."""
