"""The identity registry: persons with their national ID (PINFL), names, phones, address and language.

Split custody: the location store holds keyed pseudonyms only; this registry is the one place where a
pseudonym is joined back to a person (``service.person_for_pseudonym``). Depends on ``db``, ``geo``,
``i18n``, ``config`` and, for phone canonicalisation and the keyed hash, ``ingest.phone`` and
``ingest.pseudonym``; never on the store or the tracer.
"""
