"""The investigation service: izquvar's domain behind an HTTP API (FastAPI, under ``/api/v1``).

The top layer: it mounts each domain package's ``views.py`` and owns what every request shares (one database
session, the signed-in user, the audit trail, the mapping of izquvar's errors to HTTP statuses, the body size
limit). Nothing is created at import time: :func:`create_app` builds an app from settings.
"""

from __future__ import annotations

from izquvar.service.app import create_app

__all__ = ["create_app"]
