"""The audit trail: an append-only, hash-chained record of every read or change of personal data.

Depends on ``db`` and ``errors`` only; the actor is anything with an ``id``, a ``username`` and a ``role``
(a ``users.User``), so users and every domain package can record into it. HTTP is the service's
(``izquvar.service.routes.audit``).
"""
