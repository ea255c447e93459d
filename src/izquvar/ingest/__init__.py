"""Validated ingest: from feed files to the rows, rejects and derived stays a store commits in one batch.

- :mod:`~izquvar.ingest.pipeline`: one batch, planned without touching (or importing) the store, stage by stage:
- :mod:`~izquvar.ingest.discover`: which files are feeds, of which kind, in which order
- :mod:`~izquvar.ingest.readers`: CSV, Parquet and GeoJSON into Arrow, with each row's line
- :mod:`~izquvar.ingest.coerce`, :mod:`~izquvar.ingest.phone` and :mod:`~izquvar.ingest.validate`: types,
  canonical phone numbers and row checks
- :mod:`~izquvar.ingest.references`: reference kinds as they will be after the batch, and checks against them
- :mod:`~izquvar.ingest.pseudonym`: keyed-hash pseudonyms of person identifiers
- :mod:`~izquvar.ingest.duplicates` and :mod:`~izquvar.ingest.rejects`: duplicate keys, and every problem as a
  reject record
- :mod:`~izquvar.ingest.derive`: records placed through their tower or venue (areas: :mod:`izquvar.geo.placement`),
  stays and stay venues
- :mod:`~izquvar.ingest.partition`: rows cut into day partitions
- :mod:`~izquvar.ingest.batch` and :mod:`~izquvar.ingest.reports`: what the store gives a plan (plain values) and
  gets back (:class:`~izquvar.ingest.batch.PlannedBatch`, the :class:`~izquvar.ingest.reports.IngestReport`)

Use it through ``izquvar.open_store(path).ingest(paths)`` or ``izquvar ingest``.
"""
