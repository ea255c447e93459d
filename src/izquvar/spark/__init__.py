"""The Spark engine: izquvar's pipeline on Apache Spark (PySpark), over the embedded store's Parquet layout.

What runs on Spark so far (docs/spark.md): stays from GPS pings (``detect_stays`` per person), their
placement (venue and areas, by partition) and GPS co-location of the cases' stays (a grid-cell equi-join by day
and cell). Each gives exactly what the embedded engine gives; tests/spark checks it on a simulated city. PySpark
is the optional extra ``spark`` and is imported only when a step runs.
"""

from __future__ import annotations

from izquvar.spark.contacts import CaseWindow, contacts, encounters
from izquvar.spark.pipeline import contacts_of_store, stays_of_store, write_parquet
from izquvar.spark.session import spark_session
from izquvar.spark.stays import spark_stays

__all__ = [
    "CaseWindow",
    "contacts",
    "contacts_of_store",
    "encounters",
    "spark_session",
    "spark_stays",
    "stays_of_store",
    "write_parquet",
]
