"""Case management: cases, lab results, durable tracing jobs, proposed contacts and contacts (issue 9).

``diseases``: diseases as configuration; ``models``: the tables; ``schemas``: what comes in and goes out;
``service``: lab results, cases and contact decisions; ``jobs``: the durable queue and the tracing run. The
location store reaches this package only through the small :class:`~izquvar.cases.jobs.CaseTracer` protocol,
which the service layer implements on ``izquvar.locations``.
"""
