"""Validated ingest: from feed files to the rows, rejects and derived stays a store commits in one batch.

- :mod:`~izquvar.ingest.discover`: which files are feeds, of which kind, in which order
- :mod:`~izquvar.ingest.readers`: CSV, Parquet and GeoJSON into Arrow, with each row's line
- :mod:`~izquvar.ingest.coerce` and :mod:`~izquvar.ingest.validate`: types and row checks
- :mod:`~izquvar.ingest.pseudonym`: keyed-hash pseudonyms of person identifiers
- :mod:`~izquvar.ingest.derive`: records placed through their tower or venue (areas: :mod:`izquvar.geo.placement`),
  stays and stay venues
- :mod:`~izquvar.ingest.pipeline`: one batch, planned without touching the store

Use it through ``izquvar.open_store(path).ingest(paths)`` or ``izquvar ingest``.
"""
