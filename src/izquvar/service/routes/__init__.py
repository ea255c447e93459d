"""The HTTP routes of each domain package, one module per package: the domain packages stay free of HTTP."""
