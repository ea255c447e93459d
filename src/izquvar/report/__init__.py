"""How a trace is shown: rich tables, GeoJSON, and a self-contained HTML report (inline SVG map and timeline).

Every format reads only ``izquvar.trace.result.TraceResult``, so each can be produced from a saved trace JSON
as well as from a live store.
"""
