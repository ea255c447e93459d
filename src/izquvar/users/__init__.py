"""Users of the service: accounts with a role and a jurisdiction, argon2 passwords, lockout, access tokens.

Depends on ``db``, ``geo`` (jurisdictions are areas of the shipped hierarchy), ``config`` and ``errors``;
HTTP is the service's: its routes are ``izquvar.service.routes.users``.
"""
