"""The investigation service: izquvar's domain behind an HTTP API (FastAPI, under ``/api/v1``).

The layer above the domain: ``routes/`` holds each domain package's HTTP routes (one module per package, so the
packages themselves never know HTTP and never import the service), and it owns what every request shares (one database
session, the signed-in user, the audit trail, the mapping of izquvar's errors to HTTP statuses, the body size
limit). Nothing is created at import time: :func:`create_app` builds an app from settings.
"""

from __future__ import annotations

from izquvar.service.app import create_app

__all__ = ["create_app"]
